"""Every access to one patient's record in a period, in words a patient can read.

An access is an audit entry that names the patient: its ``patient_id`` (a
chart page, a change, a refusal) or the index of patients a list or search
showed (``audit_event_patient``). A list that showed several patients is
described by what it was ("the patient list"), never by who else was on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.audit.actions import describe
from clinic.audit.spans import SpanVerification, verify_period
from clinic.audit.tables import AuditEvent, AuditEventPatient, BreakGlassGrant
from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.security.permissions import ROLE_LABELS, Role
from clinic.security.tables import Staff

BATCH = 1000
# A report past this many entries is refused with a request to narrow the dates: it would not
# be read, and nothing may be left out of one silently.
MOST = 20_000
LONGEST = dt.timedelta(days=366 * 10)
SYSTEM_ROLES = {"system": "The clinic's system", "worker": "The clinic's system", "patient": "You (by a link)"}


@dataclass(frozen=True)
class Access:
    id: int
    at: dt.datetime  # in the clinic's time zone
    who: str
    role: str
    what: str
    outcome: str
    among_others: bool  # the patient was one of several a list or search showed
    break_glass: bool
    reason: str  # why the glass was broken, as the person wrote it


@dataclass(frozen=True)
class AccessReport:
    patient_id: int
    date_from: dt.date
    date_to: dt.date
    accesses: list[Access]
    verification: SpanVerification

    @property
    def break_glass_count(self) -> int:
        return sum(1 for access in self.accesses if access.break_glass)

    @property
    def people(self) -> int:
        return len({access.who for access in self.accesses})


def period_bounds(date_from: dt.date, date_to: dt.date, locale: Locale) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the first day to the end of the last, in the clinic's time zone."""
    start, _ = locale.day_bounds(date_from)
    _, end = locale.day_bounds(date_to)
    return start, end


def check_period(date_from: dt.date | None, date_to: dt.date | None, today: dt.date) -> None:
    errors = {}
    if date_to and date_to > today:
        errors["date_to"] = "The end date cannot be after today."
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = "The end date is before the start date."
    elif date_from and date_to and date_to - date_from > LONGEST:
        errors["date_from"] = "Choose a period of at most ten years."
    if errors:
        raise Invalid(errors)


COLUMNS = (AuditEvent.id, AuditEvent.occurred_at, AuditEvent.staff_id, AuditEvent.role, AuditEvent.action,
           AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.patient_id, AuditEvent.outcome, AuditEvent.detail)


async def _batches(condition) -> list[dict]:
    found: list[dict] = []
    last_id = 0
    while True:
        rows = await (AuditEvent.select(*COLUMNS).where(condition & (AuditEvent.id > last_id))
                      .order_by(AuditEvent.id).limit(BATCH))
        found += rows
        if len(found) > MOST:
            raise Invalid({"date_from": f"More than {MOST:,} accesses in this period: choose a shorter one."})
        if len(rows) < BATCH:
            return found
        last_id = rows[-1]["id"]


async def entries_of(patient_id: int, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The patient's audit entries in [start, end), oldest first.

    Two queries, each on its own index, rather than one OR the databases
    would answer by reading the whole period: entries about the patient
    (patient_id, occurred_at) and entries that showed them among others
    (audit_event_patient's patient_id, event_id).
    """
    in_period = (AuditEvent.occurred_at >= start) & (AuditEvent.occurred_at < end)
    own = await _batches(in_period & (AuditEvent.patient_id == patient_id))
    shown = AuditEventPatient.select(AuditEventPatient.event_id).where(AuditEventPatient.patient_id == patient_id)
    listed = await _batches(in_period & AuditEvent.id.is_in(shown))
    merged = {row["id"]: row for row in own + listed}
    if len(merged) > MOST:
        raise Invalid({"date_from": f"More than {MOST:,} accesses in this period: choose a shorter one."})
    return [merged[key] for key in sorted(merged)]


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role.replace("_", " ").capitalize() if role else ""


async def _grants_of(patient_id: int) -> list[dict]:
    return await BreakGlassGrant.select(
        BreakGlassGrant.id, BreakGlassGrant.staff, BreakGlassGrant.reason, BreakGlassGrant.granted_at,
        BreakGlassGrant.expires_at,
    ).where(BreakGlassGrant.patient_id == patient_id).order_by(BreakGlassGrant.granted_at)


def _reason_for(row: dict, grants: list[dict]) -> str:
    """The grant an entry was made under: the one it created, or the person's grant in force then."""
    if row["action"] == "patient.break_glass" and row["entity_id"].isdigit():
        return next((g["reason"] for g in grants if g["id"] == int(row["entity_id"])), "")
    moment = row["occurred_at"]
    under = [g for g in grants if g["staff"] == row["staff_id"] and g["granted_at"] <= moment <= g["expires_at"]]
    return under[-1]["reason"] if under else ""


async def describe_entries(patient_id: int, rows: list[dict], locale: Locale) -> list[Access]:
    staff_ids = {row["staff_id"] for row in rows if row["staff_id"]}
    names = {}
    if staff_ids:
        names = {s["id"]: s["full_name"] for s in
                 await Staff.select(Staff.id, Staff.full_name).where(Staff.id.is_in(sorted(staff_ids)))}
    glass = [row for row in rows if row["outcome"] == "break_glass" or row["action"] == "patient.break_glass"]
    grants = await _grants_of(patient_id) if glass else []
    accesses = []
    for row in rows:
        if row["staff_id"]:
            who = names.get(row["staff_id"], f"Staff member #{row['staff_id']} (account removed)")
        else:
            who = SYSTEM_ROLES.get(row["role"], "The clinic's system")
        is_glass = row["outcome"] == "break_glass" or row["action"] == "patient.break_glass"
        accesses.append(Access(
            id=row["id"], at=locale.local(row["occurred_at"]), who=who,
            role=_role_label(row["role"]) if row["staff_id"] else "",
            what=describe(row["action"], row["detail"]), outcome=row["outcome"],
            among_others=row["patient_id"] != patient_id,
            break_glass=is_glass, reason=_reason_for(row, grants) if is_glass else "",
        ))
    return accesses


async def access_report(patient_id: int, date_from: dt.date, date_to: dt.date, locale: Locale) -> AccessReport:
    """The report, once the trail for its period verifies; ``verification.ok`` says whether it did."""
    start, end = period_bounds(date_from, date_to, locale)
    rows = await entries_of(patient_id, start, end)
    ids = (rows[0]["id"], rows[-1]["id"]) if rows else None
    verification = await verify_period(start, end, include_ids=ids)
    accesses = await describe_entries(patient_id, rows, locale) if verification.ok else []
    return AccessReport(patient_id, date_from, date_to, accesses, verification)
