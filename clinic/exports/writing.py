"""Writing the whole clinic's data into a ZIP of CSV files, a batch at a time.

Each table is read in id order, a few hundred rows at a time, each batch
written as CSV straight into its ZIP member while a SHA-256 of the member is
kept: memory stays bounded whatever the clinic's size (the app runs in 256
MB). Encrypted columns are decrypted as the app does (the export leaves the
system for accountants); blind-index columns, which are only keyed hashes,
are left out. ``manifest.json`` names every file with its row count and digest.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Awaitable, Callable

from piccolo.table import Table

from clinic import __version__
from clinic.audit.tables import AuditEvent
from clinic.billing.tables import Invoice, InvoiceLine, Payment, PaymentAllocation, Refund
from clinic.claims.tables import Claim, ClaimLine
from clinic.core.crypto import DecryptionFailed
from clinic.patients.tables import Patient, PatientInsurance
from clinic.prescriptions.tables import Prescription
from clinic.scheduling.tables import Appointment
from clinic.security import fields
from clinic.visits.tables import Visit, VisitDiagnosis, VisitService

BATCH = 500
UNREADABLE = "[could not be decrypted]"
# (file, table): what the brief of an accountant and of a clinic leaving the system asks for.
FILES: tuple[tuple[str, type[Table]], ...] = (
    ("patients.csv", Patient),
    ("patient_insurance.csv", PatientInsurance),
    ("appointments.csv", Appointment),
    ("visits.csv", Visit),
    ("visit_diagnoses.csv", VisitDiagnosis),
    ("visit_services.csv", VisitService),
    ("prescriptions.csv", Prescription),
    ("invoices.csv", Invoice),
    ("invoice_lines.csv", InvoiceLine),
    ("payments.csv", Payment),
    ("payment_allocations.csv", PaymentAllocation),
    ("refunds.csv", Refund),
    ("claims.csv", Claim),
    ("claim_lines.csv", ClaimLine),
    ("audit_trail.csv", AuditEvent),
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return
    before one) as a formula: a leading quote makes it text."""
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value  # amounts are integer cents: never quoted, so a refund's minus sign stays a number
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, (dt.date, dt.time, Decimal)):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return neutralise(str(value))


def columns_of(table: type[Table]) -> tuple[list[str], dict[str, str]]:
    """The columns written, and which of them are sealed (column -> itself), blind indexes left out."""
    sealed = {item.column for item in fields.encrypted_fields() if item.table is table}
    indexes = {item.index for item in fields.encrypted_fields() if item.table is table and item.index}
    names = [column._meta.name for column in table._meta.columns if column._meta.name not in indexes]
    return names, {name: name for name in names if name in sealed}


async def rows_of(table: type[Table]):
    """Every row, in batches, keyset-paginated by id, sealed columns opened."""
    names, sealed = columns_of(table)
    cipher = fields.cipher() if sealed else None
    last_id = 0
    while True:
        batch = await table.select(*[table._meta.get_column_by_name(name) for name in names]).where(
            table.id > last_id).order_by(table.id).limit(BATCH)
        if not batch:
            return
        for row in batch:
            for name in sealed:
                try:
                    row[name] = cipher.open(table, name, row["id"], row[name] or "")
                except DecryptionFailed:
                    row[name] = UNREADABLE
        yield names, batch
        last_id = batch[-1]["id"]


@dataclass(frozen=True)
class ExportedFile:
    name: str
    rows: int
    sha256: str
    bytes: int


async def counts() -> dict[str, int]:
    return {name: await table.count() for name, table in FILES}


def open_private(path: Path):
    """The ZIP file, created readable and writable by the app's user alone (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(descriptor, "wb")


async def write_export(path: Path, clinic_name: str,
                       progress: Callable[[int, int], Awaitable[None]] | None = None) -> dict:
    """Write the ZIP at ``path``; returns the manifest (also inside it as manifest.json)."""
    expected = await counts()
    total = sum(expected.values())
    done = 0
    written: list[ExportedFile] = []
    with open_private(path) as target, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in FILES:
            digest, size, rows = hashlib.sha256(), 0, 0
            with archive.open(name, "w", force_zip64=True) as member:
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\r\n")
                header_written = False
                async for names, batch in rows_of(table):
                    if not header_written:
                        writer.writerow(names)
                        header_written = True
                    for row in batch:
                        writer.writerow([cell(row[n]) for n in names])
                    rows += len(batch)
                    size += _flush(buffer, member, digest)
                    done += len(batch)
                    if progress is not None:
                        await progress(done, total)
                if not header_written:
                    writer.writerow(columns_of(table)[0])
                size += _flush(buffer, member, digest)
            written.append(ExportedFile(name, rows, digest.hexdigest(), size))
        manifest = {
            "format": "clinic-export-1", "clinic": clinic_name, "app_version": __version__,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "note": "Times are UTC (ISO 8601). Amounts are integer minor units (cents).",
            "files": [{"name": f.name, "rows": f.rows, "sha256": f.sha256, "bytes": f.bytes} for f in written],
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return manifest


def _flush(buffer: io.StringIO, member, digest) -> int:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    member.write(data)
    digest.update(data)
    return len(data)
