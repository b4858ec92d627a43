"""Reading the audit trail: filters from allow-lists, pages, CSV rows, patient names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clinic.audit.tables import AuditEvent
from clinic.core.forms import parse_integer
from clinic.core.paging import Page, page_bounds
from clinic.patients.identifiers import is_valid_mrn
from clinic.patients.normalise import name_key, prefix_bounds
from clinic.patients.tables import Patient
from clinic.security.tables import Staff

PAGE_SIZE = 50
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2200, 12, 31)
ORDERS = {"newest": False, "oldest": True}


@dataclass
class AuditFilters:
    staff_id: int | None = None
    action: str = ""
    patient_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    order: str = "newest"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params: dict[str, str], known_actions: list[str]) -> "AuditFilters":
        filters, errors = cls(), {}
        if params.get("staff"):
            filters.staff_id = parse_integer(params["staff"], minimum=1, maximum=2**31 - 1)
            if filters.staff_id is None:
                errors["staff"] = "Choose a member of staff from the list."
        action = params.get("action", "")
        if action:
            if action in known_actions:
                filters.action = action
            else:
                errors["action"] = "Choose an action from the list."
        if params.get("patient"):
            filters.patient_id = parse_integer(params["patient"], minimum=0, maximum=2**31 - 1)
            if filters.patient_id is None:
                errors["patient"] = "Enter a patient's name, MRN or id."
        for name in ("date_from", "date_to"):
            if params.get(name):
                try:
                    day = dt.date.fromisoformat(params[name][:10])
                except ValueError:
                    day = None
                if day is None or not EARLIEST <= day <= LATEST:
                    errors[name] = "Use the date picker (YYYY-MM-DD)."
                else:
                    setattr(filters, name, day)
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            errors["date_to"] = "The end date is before the start date."
        filters.order = params.get("order") if params.get("order") in ORDERS else "newest"
        filters.errors = errors
        return filters

    def as_params(self) -> dict[str, str]:
        return {
            "staff": str(self.staff_id or ""), "action": self.action, "patient": str(self.patient_id or ""),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "", "order": self.order,
        }


def _condition(filters: AuditFilters, zone: ZoneInfo):
    condition = AuditEvent.id > 0
    if filters.staff_id is not None:
        condition &= AuditEvent.staff_id == filters.staff_id
    if filters.action:
        condition &= AuditEvent.action == filters.action
    if filters.patient_id is not None:
        condition &= AuditEvent.patient_id == filters.patient_id
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=zone)
        condition &= AuditEvent.occurred_at >= start
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        condition &= AuditEvent.occurred_at < end
    return condition


@dataclass(frozen=True)
class PatientChoice:
    id: int
    name: str
    mrn: str
    date_of_birth: dt.date


async def find_patient(text: str) -> tuple[int | None, list[PatientChoice]]:
    """Administrators know patients by MRN or by name. An MRN or id gives the
    patient; a name gives the matching patients (the caller asks which one when
    there are several)."""
    value = text.replace("-", "").strip()
    if value.isascii() and value.isdigit():
        if len(value) == 7 and is_valid_mrn(value):
            row = await Patient.select(Patient.id).where(Patient.mrn == value).first()
            return (row["id"] if row else 0), []
        return parse_integer(value, minimum=0, maximum=2**31 - 1), []
    tokens = [name_key(part) for part in text.replace(",", " ").split() if name_key(part)][:3]
    if not tokens:
        return None, []
    condition = Patient.merged_into.is_null()
    for token in tokens:
        low, high = prefix_bounds(token)
        condition &= ((Patient.last_name_key >= low) & (Patient.last_name_key < high)) | (
            (Patient.first_name_key >= low) & (Patient.first_name_key < high))
    rows = await Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.mrn,
                                Patient.date_of_birth).where(condition).order_by(Patient.last_name_key).limit(11)
    return None, [PatientChoice(row["id"], f"{row['last_name']}, {row['first_name']}", row["mrn"],
                                row["date_of_birth"]) for row in rows]


async def patient_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await Patient.select(Patient.id, Patient.first_name, Patient.last_name).where(Patient.id.is_in(list(ids)))
    return {row["id"]: f"{row['last_name']}, {row['first_name']}" for row in rows}


async def known_actions() -> list[str]:
    rows = await AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return [row["action"] for row in rows]


async def staff_names() -> dict[int, str]:
    return {row["id"]: row["full_name"] for row in await Staff.select(Staff.id, Staff.full_name)}




async def audit_page(filters: AuditFilters, zone: ZoneInfo, page: int = 1) -> Page:
    condition = _condition(filters, zone)
    total = await AuditEvent.count().where(condition)
    page, pages, offset = page_bounds(page, total, PAGE_SIZE)
    rows = await (
        AuditEvent.select()
        .where(condition)
        .order_by(AuditEvent.id, ascending=ORDERS[filters.order])
        .limit(PAGE_SIZE)
        .offset(offset)
    )
    return Page(rows=rows, number=page, pages=pages, total=total)


CSV_COLUMNS = ["id", "occurred_at", "staff_id", "role", "action", "entity_type", "entity_id", "patient_id",
               "patients", "client_address", "user_agent", "outcome", "detail", "mac"]


async def csv_batches(filters: AuditFilters, zone: ZoneInfo, batch_size: int = 1000):
    """All matching entries, in batches, keyset-paginated by id."""
    condition = _condition(filters, zone)
    ascending = ORDERS[filters.order]
    last_id = None
    while True:
        query = AuditEvent.select().where(condition)
        if last_id is not None:
            query = query.where(AuditEvent.id > last_id if ascending else AuditEvent.id < last_id)
        rows = await query.order_by(AuditEvent.id, ascending=ascending).limit(batch_size)
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]
