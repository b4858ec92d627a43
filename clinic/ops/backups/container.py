"""The backup file: compressed, encrypted, with a manifest and a checksum over the whole.

Layout (every length a 4-byte big-endian integer)::

    MAGIC
    header length, header JSON       in the clear: format, compression, nonces, key fingerprint
    manifest length, manifest        AES-256-GCM, the header as associated data
    data                             AES-256-GCM stream of the compressed rows, then its 16-byte tag
    SHA-256 of everything above      (32 bytes)

The checksum catches a damaged file before any key is tried; the GCM tags
catch a wrong key or a deliberate change. The backup key is separate from
the field keys, so a stolen backup file and a stolen field key together
still open nothing.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CLINIC-BACKUP\x001\n"
FORMAT = 1
CHUNK = 1 << 20
KEY_HINT = ("generate one with `python -c 'import secrets, base64; "
            "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'` and keep a copy away from the backups")


class BackupRefused(Exception):
    """A backup file that cannot be used, or a key that cannot open it: one line for the operator."""


def backup_key(environ: dict | None = None) -> bytes:
    """CLINIC_BACKUP_KEY as 32 bytes (base64, URL-safe base64 or 64 hex digits)."""
    text = (environ if environ is not None else os.environ).get("CLINIC_BACKUP_KEY", "").strip()
    if not text:
        raise BackupRefused(f"CLINIC_BACKUP_KEY is not set: {KEY_HINT}")
    key = None
    if len(text) == 64:
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = None
    if key is None:
        try:
            key = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) != 32:
        raise BackupRefused(f"CLINIC_BACKUP_KEY must be 32 random bytes in base64 or hex: {KEY_HINT}")
    return key


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"clinic-backup-key" + key).hexdigest()[:12]


def write_backup(path: Path, manifest: dict, rows_file: Path, key: bytes) -> int:
    """Compress and encrypt ``rows_file`` (JSON lines) with the manifest into ``path``; returns its size.

    Written beside the target and renamed into place, readable by the owner only.
    """
    header = {
        "format": FORMAT, "cipher": "AES-256-GCM", "compression": "gzip",
        "manifest_nonce": base64.b64encode(os.urandom(12)).decode(),
        "data_nonce": base64.b64encode(os.urandom(12)).decode(),
        "key": fingerprint(key), "created_at": manifest["created_at"],
    }
    header_bytes = json.dumps(header, sort_keys=True).encode()
    sealed_manifest = AESGCM(key).encrypt(base64.b64decode(header["manifest_nonce"]),
                                          json.dumps(manifest, sort_keys=True).encode(), header_bytes)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    whole = hashlib.sha256()
    try:
        with os.fdopen(descriptor, "wb") as out:
            def put(data: bytes) -> None:
                whole.update(data)
                out.write(data)

            put(MAGIC)
            put(struct.pack(">I", len(header_bytes)) + header_bytes)
            put(struct.pack(">I", len(sealed_manifest)) + sealed_manifest)
            encryptor = Cipher(algorithms.AES(key), modes.GCM(base64.b64decode(header["data_nonce"]))).encryptor()
            encryptor.authenticate_additional_data(header_bytes)
            with open(rows_file, "rb") as rows:
                compressor = _gzip_stream(rows)
                for chunk in compressor:
                    put(encryptor.update(chunk))
            put(encryptor.finalize() + encryptor.tag)
            out.write(whole.digest())
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path.stat().st_size


def _gzip_stream(source: BinaryIO):
    import zlib

    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header, so `gunzip` could read it
    while chunk := source.read(CHUNK):
        packed = compressor.compress(chunk)
        if packed:
            yield packed
    yield compressor.flush()


@dataclass
class Opened:
    header: dict
    header_bytes: bytes
    manifest: dict
    data_offset: int
    data_length: int  # ciphertext, without the tag


def open_backup(path: Path, key: bytes) -> Opened:
    """Check the checksum and open the manifest; refuses with one clear line."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise BackupRefused(f"cannot read {path}: {error.strerror}") from None
    with open(path, "rb") as source:
        if source.read(len(MAGIC)) != MAGIC:
            raise BackupRefused(f"{path} is not a Clinic backup file")
        if size < len(MAGIC) + 8 + 16 + 32:
            raise BackupRefused(f"{path} is cut short")
        whole = hashlib.sha256(MAGIC)
        remaining = size - len(MAGIC) - 32
        while remaining > 0:
            chunk = source.read(min(CHUNK, remaining))
            if not chunk:
                raise BackupRefused(f"{path} is cut short")
            whole.update(chunk)
            remaining -= len(chunk)
        if source.read(32) != whole.digest():
            raise BackupRefused(f"{path} fails its checksum: the file is damaged or was changed; use another backup")
        source.seek(len(MAGIC))
        header_bytes = source.read(struct.unpack(">I", source.read(4))[0])
        try:
            header = json.loads(header_bytes)
        except ValueError:
            raise BackupRefused(f"{path} has an unreadable header") from None
        if header.get("format") != FORMAT:
            raise BackupRefused(f"{path} is in backup format {header.get('format')}, which this version cannot read")
        sealed = source.read(struct.unpack(">I", source.read(4))[0])
        data_offset = source.tell()
    try:
        manifest = json.loads(AESGCM(key).decrypt(base64.b64decode(header["manifest_nonce"]), sealed, header_bytes))
    except InvalidTag:
        if header.get("key") != fingerprint(key):
            raise BackupRefused(f"{path} was made with another CLINIC_BACKUP_KEY (key {header.get('key')}, "
                                f"this one is {fingerprint(key)})") from None
        raise BackupRefused(f"{path} fails its authentication tag: it was changed") from None
    return Opened(header, header_bytes, manifest, data_offset, size - 32 - 16 - data_offset)


def decrypt_rows(path: Path, opened: Opened, key: bytes, into: Path) -> None:
    """Decrypt the rows into ``into`` (compressed JSON lines); refuses if the tag does not match."""
    header_bytes = opened.header_bytes
    with open(path, "rb") as source:
        source.seek(opened.data_offset + opened.data_length)
        tag = source.read(16)
        decryptor = Cipher(algorithms.AES(key), modes.GCM(base64.b64decode(opened.header["data_nonce"]), tag)).decryptor()
        decryptor.authenticate_additional_data(header_bytes)
        source.seek(opened.data_offset)
        remaining = opened.data_length
        descriptor = os.open(into, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            while remaining > 0:
                chunk = source.read(min(CHUNK, remaining))
                remaining -= len(chunk)
                out.write(decryptor.update(chunk))
            try:
                out.write(decryptor.finalize())
            except InvalidTag:
                raise BackupRefused(f"{path} fails its authentication tag: it was changed") from None


def read_lines(compressed: Path):
    with gzip.open(compressed, "rb") as lines:
        for line in lines:
            yield json.loads(line)
