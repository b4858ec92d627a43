"""Reading the audit trail: filters from allow-lists, pages, CSV rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clinic.audit.tables import AuditEvent
from clinic.core.paging import Page, page_bounds
from clinic.staff.tables import Staff

PAGE_SIZE = 50
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
            if params["staff"].isdigit():
                filters.staff_id = int(params["staff"])
            else:
                errors["staff"] = "Choose a member of staff from the list."
        action = params.get("action", "")
        if action:
            if action in known_actions:
                filters.action = action
            else:
                errors["action"] = "Choose an action from the list."
        if params.get("patient"):
            if params["patient"].isdigit():
                filters.patient_id = int(params["patient"])
            else:
                errors["patient"] = "Enter a patient's MRN or id."
        for name in ("date_from", "date_to"):
            if params.get(name):
                try:
                    setattr(filters, name, dt.date.fromisoformat(params[name]))
                except ValueError:
                    errors[name] = "Use the date picker (YYYY-MM-DD)."
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


async def with_patient_id(params: dict[str, str]) -> dict[str, str]:
    """Administrators know patients by MRN: accept one in the patient filter."""
    from clinic.patients.identifiers import is_valid_mrn
    from clinic.patients.tables import Patient

    value = params.get("patient", "").replace("-", "").strip()
    if len(value) == 7 and is_valid_mrn(value):
        row = await Patient.select(Patient.id).where(Patient.mrn == value).first()
        params = {**params, "patient": str(row["id"]) if row else "0"}
    return params


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
               "client_address", "user_agent", "outcome", "detail", "mac"]


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
