"""The full patient list: filters and sorting from allow-lists, pages of 25."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.core import clock
from clinic.core.forms import parse_integer
from clinic.core.paging import Page, page_bounds
from clinic.patients.tables import Patient

PAGE_SIZE = 25
STATUSES = {"active": "Active", "archived": "Archived", "all": "All"}
LAST_VISIT = {
    "": "Any time",
    "30d": "In the last 30 days",
    "12m": "In the last 12 months",
    "over12m": "Not in the last 12 months",
    "never": "Never",
}
SORTS = {
    "name": ((Patient.last_name_key, True), (Patient.first_name_key, True)),
    "-name": ((Patient.last_name_key, False), (Patient.first_name_key, False)),
    "dob": ((Patient.date_of_birth, True),),
    "-dob": ((Patient.date_of_birth, False),),
    "mrn": ((Patient.mrn, True),),
    "-last_visit": ((Patient.last_visit_at, False),),
    "last_visit": ((Patient.last_visit_at, True),),
    "-created": ((Patient.created_at, False),),
}
SORT_LABELS = {"name": "Name A–Z", "-name": "Name Z–A", "dob": "Oldest first", "-dob": "Youngest first",
               "mrn": "MRN", "-last_visit": "Most recent visit", "last_visit": "Longest since visit",
               "-created": "Newest registrations"}


@dataclass(frozen=True)
class ListFilters:
    status: str = "active"
    provider: int | None = None
    last_visit: str = ""
    sort: str = "name"

    @classmethod
    def parse(cls, status: str, provider: str, last_visit: str, sort: str) -> "ListFilters":
        return cls(
            status=status if status in STATUSES else "active",
            provider=parse_integer(provider, minimum=1, maximum=2**31 - 1),
            last_visit=last_visit if last_visit in LAST_VISIT else "",
            sort=sort if sort in SORTS else "name",
        )

    def params(self) -> dict[str, str]:
        return {"status": self.status, "provider": str(self.provider or ""), "last_visit": self.last_visit,
                "sort": self.sort}




def _condition(filters: ListFilters, now: dt.datetime):
    condition = Patient.merged_into.is_null()
    if filters.status == "active":
        condition &= Patient.archived_at.is_null()
    elif filters.status == "archived":
        condition &= Patient.archived_at.is_not_null()
    if filters.provider is not None:
        condition &= Patient.primary_provider == filters.provider
    if filters.last_visit == "30d":
        condition &= Patient.last_visit_at >= now - dt.timedelta(days=30)
    elif filters.last_visit == "12m":
        condition &= Patient.last_visit_at >= now - dt.timedelta(days=365)
    elif filters.last_visit == "over12m":
        condition &= Patient.last_visit_at < now - dt.timedelta(days=365)
    elif filters.last_visit == "never":
        condition &= Patient.last_visit_at.is_null()
    return condition


async def patient_page(filters: ListFilters, page: int = 1) -> Page:
    now = clock.now()
    condition = _condition(filters, now)
    total = await Patient.count().where(condition)
    page, pages, offset = page_bounds(page, total, PAGE_SIZE)
    query = Patient.select(
        Patient.id, Patient.mrn, Patient.first_name, Patient.last_name, Patient.preferred_name,
        Patient.date_of_birth, Patient.phone, Patient.last_visit_at, Patient.archived_at,
        Patient.primary_provider.display_name.as_alias("provider_name"),
    ).where(condition)
    for column, ascending in SORTS[filters.sort]:
        query = query.order_by(column, ascending=ascending)
    rows = await query.order_by(Patient.id).limit(PAGE_SIZE).offset(offset)
    return Page(rows=rows, number=page, pages=pages, total=total)
