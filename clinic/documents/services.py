"""Attaching documents to a patient, reading them back, marking one entered in error.

The content decides the type (content.py); the file is encrypted on the data
volume (storage.py) and its key sealed in the row, all in the transaction
that writes the row and its audit entry: a failure leaves neither a row nor
a file behind.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

from clinic.audit.services import Actor, record
from clinic.clinical.services import staff_names
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import check, parse_integer
from clinic.documents import storage
from clinic.documents.content import ACCEPTED, Kind, identify, thumbnail
from clinic.documents.forms import CATEGORIES, DOCUMENT_FORM
from clinic.documents.tables import Document
from clinic.security import fields

CARD_LIMIT = 20


class DocumentNotFound(LookupError):
    """No such document for this patient (also when it is another patient's)."""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def accepted_types() -> str:
    return ", ".join(label for _, label in ACCEPTED.values())


def _clean_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return " ".join(name.split())[:200]


def check_upload(values: dict, upload: Upload | None, max_bytes: int) -> tuple[dict, Kind]:
    clean, errors = check(DOCUMENT_FORM, values)
    kind = None
    if upload is None or not upload.data:
        errors["file"] = "Choose a file to attach."
    elif len(upload.data) > max_bytes:
        errors["file"] = f"This file is {size_label(len(upload.data))}; the limit is {size_label(max_bytes)}."
    else:
        kind = identify(upload.data)
        if kind is None:
            errors["file"] = (f"This file is not one of the kinds we keep ({accepted_types()}), whatever its name "
                              "says. Scan or save it as a PDF or an image.")
    if errors:
        raise Invalid(errors)
    return clean, kind


async def attach(patient_id: int, values: dict, upload: Upload | None, actor: Actor, *, folder: Path,
                 max_bytes: int) -> int:
    clean, kind = check_upload(values, upload, max_bytes)
    visit_id = parse_integer(str(values.get("visit_id") or ""), minimum=1, maximum=2_147_483_647)
    key = storage.new_file_key()
    storage_name = storage.new_storage_name()
    small = thumbnail(upload.data, kind)
    now = clock.now()
    engine = Document._meta.db
    written = False
    try:
        async with engine.transaction():
            rows = await Document.insert(Document(
                patient=patient_id, visit_id=visit_id, title=clean["title"], category=clean["category"],
                original_name=_clean_name(upload.filename), media_type=kind.media_type, extension=kind.extension,
                size_bytes=len(upload.data), storage_name=storage_name, has_thumbnail=small is not None,
                uploaded_at=now, uploaded_by=actor.staff_id, updated_at=now, updated_by=actor.staff_id))
            document_id = rows[0]["id"]
            written = True
            storage.write_encrypted(folder, storage_name, document_id, key, upload.data)
            if small is not None:
                storage.write_encrypted(folder, storage_name, document_id, key, small, part="thumb")
            await Document.update({Document.file_key: fields.cipher().seal(
                Document, "file_key", document_id, storage.key_text(key))}).where(Document.id == document_id)
            await record("document.upload", actor, entity_type="patient_document", entity_id=document_id,
                         patient_id=patient_id, detail=kind.media_type)
    except BaseException:
        if written:
            storage.remove(folder, storage_name)
        raise
    return document_id


def _decorate(row: dict, names: dict[int, str]) -> dict:
    row["uploaded_by_name"] = names.get(row["uploaded_by"], "")
    row["category_label"] = dict(CATEGORIES).get(row["category"], row["category"])
    row["size_label"] = size_label(row["size_bytes"])
    row["kind_label"] = ACCEPTED.get(row["media_type"], ("", row["media_type"]))[1]
    return row


async def documents_of(patient_id: int, folder: Path | None, *, limit: int | None = None,
                       thumbnails: bool = True) -> list[dict]:
    """The patient's documents (entered-in-error ones left out), newest first, thumbnails as data URIs."""
    query = Document.select().where((Document.patient == patient_id) & (Document.status == "active")).order_by(
        Document.uploaded_at, ascending=False).order_by(Document.id, ascending=False)
    if limit:
        query = query.limit(limit)
    rows = await query
    names = await staff_names({row["uploaded_by"] for row in rows})
    for row in rows:
        _decorate(row, names)
        row["thumbnail"] = ""
        if thumbnails and row["has_thumbnail"]:
            try:
                key = storage.key_bytes(fields.cipher().open(Document, "file_key", row["id"], row["file_key"]))
                png = storage.read_encrypted(folder, row["storage_name"], row["id"], key, part="thumb")
                row["thumbnail"] = "data:image/png;base64," + base64.b64encode(png).decode()
            except storage.UnreadableDocument:
                pass  # shown with the plain icon; the download says what is wrong
        del row["file_key"]
    return rows


async def document(patient_id: int, document_id: int) -> dict:
    row = await Document.select().where((Document.id == document_id) & (Document.patient == patient_id)).first()
    if row is None:
        raise DocumentNotFound(document_id)
    return _decorate(row, await staff_names({row["uploaded_by"]}))


async def read_document(patient_id: int, document_id: int, folder: Path) -> tuple[dict, bytes]:
    """The document's row and its decrypted content (the caller's route is audited)."""
    row = await document(patient_id, document_id)
    key = storage.key_bytes(fields.cipher().open(Document, "file_key", row["id"], row["file_key"]))
    return row, storage.read_encrypted(folder, row["storage_name"], row["id"], key)


async def mark_entered_in_error(patient_id: int, document_id: int, actor: Actor) -> None:
    await document(patient_id, document_id)
    engine = Document._meta.db
    async with engine.transaction():
        await Document.update({Document.status: "entered_in_error", Document.updated_at: clock.now(),
                               Document.updated_by: actor.staff_id}).where(
            (Document.id == document_id) & (Document.patient == patient_id))
        await record("document.status", actor, entity_type="patient_document", entity_id=document_id,
                     patient_id=patient_id, detail="entered_in_error")


def download_name(row: dict) -> str:
    """An ASCII file name from the title: letters, digits, dot, dash and underscore only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", row["title"]).strip("-.")[:80] or "document"
    return f"{stem}.{row['extension']}"


async def timeline_entries(patient_id: int, limit: int = 200) -> list[dict]:
    rows = await Document.select(Document.uploaded_at, Document.title, Document.category).where(
        (Document.patient == patient_id) & (Document.status == "active")).order_by(
        Document.uploaded_at, ascending=False).limit(limit)
    return [{"at": row["uploaded_at"], "title": "Document attached",
             "detail": f"{row['title']} ({dict(CATEGORIES).get(row['category'], row['category'])})"} for row in rows]
