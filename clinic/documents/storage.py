"""Documents on disk: encrypted, under random names, readable by this user alone.

Each document has a key of its own (AES-256-GCM, 32 random bytes). The file
holds ``CLDOC1 | nonce | ciphertext+tag``, bound by its associated data to
the document's row and to what it is (the file or its thumbnail), so a file
swapped for another fails to open. The document key is sealed with the
field-encryption key ring in ``patient_document.file_key`` (carrying the
ring's key id); ``clinic rotate-keys`` re-seals it under the newest key, and
the file, encrypted under its own key, need not be rewritten.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CLDOC1"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


class UnreadableDocument(Exception):
    """The stored file is missing, altered, or not this document's."""


def new_storage_name() -> str:
    return secrets.token_hex(20)


def new_file_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def key_text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def key_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def path_for(folder: Path, storage_name: str, part: str = "file") -> Path:
    # Two hex characters of fan-out keep any one folder small.
    suffix = "" if part == "file" else f".{part}"
    return folder / storage_name[:2] / f"{storage_name}{suffix}"


def _associated(document_id: int, part: str) -> bytes:
    return f"patient_document.{document_id}.{part}".encode()


def _private_folder(path: Path) -> None:
    for folder in (path.parent.parent, path.parent):
        if not folder.exists():
            folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
            folder.chmod(PRIVATE_FOLDER)  # mkdir's mode passes through the umask


def write_encrypted(folder: Path, storage_name: str, document_id: int, key: bytes, data: bytes,
                    part: str = "file") -> Path:
    path = path_for(folder, storage_name, part)
    _private_folder(path)
    nonce = os.urandom(12)
    sealed = MAGIC + nonce + AESGCM(key).encrypt(nonce, data, _associated(document_id, part))
    partial = path.with_name(path.name + ".part")
    # Private from the first byte (O_EXCL: never over another file), then renamed into place whole.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, PRIVATE_FILE)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def read_encrypted(folder: Path, storage_name: str, document_id: int, key: bytes, part: str = "file") -> bytes:
    path = path_for(folder, storage_name, part)
    try:
        sealed = path.read_bytes()
    except OSError:
        raise UnreadableDocument(f"document {document_id}: the stored {part} is missing") from None
    if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + 12 + 16:
        raise UnreadableDocument(f"document {document_id}: the stored {part} is not an encrypted document")
    nonce = sealed[len(MAGIC):len(MAGIC) + 12]
    try:
        return AESGCM(key).decrypt(nonce, sealed[len(MAGIC) + 12:], _associated(document_id, part))
    except InvalidTag:
        raise UnreadableDocument(f"document {document_id}: the stored {part} was altered or is another's") from None


def remove(folder: Path, storage_name: str) -> None:
    for part in ("file", "thumb"):
        path_for(folder, storage_name, part).unlink(missing_ok=True)
