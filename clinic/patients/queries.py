"""Read-only joins from the patient screens into other domains' tables."""

from __future__ import annotations

import datetime as dt

from piccolo.querystring import QueryString

from clinic.core import clock

# Booked or arrived: an appointment the patient is still expected at.
UPCOMING = ("booked", "confirmed", "arrived")


def next_appointment_column(patient_id: str) -> QueryString:
    """A SELECT-list column: the next booked appointment of the patient whose id is
    the SQL expression ``patient_id``, as ``next_at``. One index seek per row
    (appointment_patient_starts_at) in the query that lists the patients, instead of
    a second round trip. Read it back with ``as_utc_datetime``."""
    statuses = ", ".join(f"'{status}'" for status in UPCOMING)
    return QueryString(
        f'(SELECT MIN(a."starts_at") FROM "appointment" a WHERE a."patient" = {patient_id} '
        f'AND a."starts_at" >= {{}} AND a."status" IN ({statuses})) AS "next_at"',
        clock.now(),
    )


def as_utc_datetime(value) -> dt.datetime | None:
    """A computed time column as a datetime: MariaDB's driver gives one, SQLite
    (which types only declared columns) the stored ISO text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
