"""The patients report and the clinical one: counts only, never who.

Patients: how many are on the books and were seen, new ones per month, their ages and sexes, and
how many visits each had. Clinical: the diagnoses made and services performed most often.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from clinic.db.buckets import local_midnight, month_buckets
from clinic.patients.forms import SEXES
from clinic.reports.model import COUNT, MONTH, PERCENT, TEXT, Column, Filters, Report, Table, as_int, fetch, percent

AGE_BANDS = ((0, 17, "0–17"), (18, 34, "18–34"), (35, 49, "35–49"), (50, 64, "50–64"), (65, 200, "65 and over"))
VISIT_BANDS = ((1, 1, "1 visit"), (2, 2, "2 visits"), (3, 5, "3–5 visits"), (6, 10_000, "6 or more"))
LIVE = 'p."merged_into" IS NULL AND p."archived_at" IS NULL'


def _visit_provider(filters: Filters) -> QueryString:
    return QueryString("1 = 1") if filters.provider is None else QueryString('v."provider" = {}', filters.provider)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def patients_report(filters: Filters, zone: ZoneInfo, today: dt.date) -> Report:
    months = month_buckets(filters.first, filters.last, zone)
    since, until = months.since, months.until
    registered = (await fetch(f'SELECT COUNT(*) AS "n" FROM "patient" p WHERE {LIVE}'))[0]["n"]
    seen = await fetch('SELECT COUNT(DISTINCT v."patient") AS "n" FROM "visit" v '
                       'WHERE v."created_at" >= {} AND v."created_at" < {} AND {}',
                       since, until, _visit_provider(filters))
    column = 'p."created_at"'
    new_rows = await fetch(
        f'SELECT {{}} AS "period", COUNT(*) AS "n" FROM "patient" p WHERE {{}} AND p."merged_into" IS NULL '
        'GROUP BY "period"', months.index_of(column), months.within(column))
    new_by_month = {int(row["period"]): as_int(row["n"]) for row in new_rows}
    new_table = [{"month": start, "patients": new_by_month.get(index, 0)} for index, start in enumerate(months.starts)]
    # Ages today: born after the day someone of that age was born, in SQL against Python's dates.
    age_case = " ".join(f"WHEN p.\"date_of_birth\" > {{}} THEN '{label}'" for _, high, label in AGE_BANDS[:-1])
    age_args = [_years_before(today, high + 1) for _, high, _ in AGE_BANDS[:-1]]
    seen_patients = QueryString(
        'SELECT DISTINCT v."patient" AS "id" FROM "visit" v WHERE v."created_at" >= {} AND v."created_at" < {} AND {}',
        since, until, _visit_provider(filters))
    ages = await fetch(
        f'SELECT CASE {age_case} ELSE \'{AGE_BANDS[-1][2]}\' END AS "band", COUNT(*) AS "n" FROM "patient" p '
        'JOIN ({}) s ON s."id" = p."id" GROUP BY "band"', *age_args, seen_patients)
    by_band = {row["band"]: as_int(row["n"]) for row in ages}
    total_seen = as_int(seen[0]["n"])
    age_rows = [{"band": label, "patients": by_band.get(label, 0), "share": percent(by_band.get(label, 0), total_seen)}
                for _, _, label in AGE_BANDS]
    sexes = await fetch('SELECT p."sex" AS "sex", COUNT(*) AS "n" FROM "patient" p JOIN ({}) s ON s."id" = p."id" '
                        'GROUP BY p."sex" ORDER BY p."sex"', seen_patients)
    sex_rows = [{"sex": SEXES.get(row["sex"], row["sex"] or "Not recorded"), "patients": as_int(row["n"]),
                 "share": percent(as_int(row["n"]), total_seen)} for row in sexes]
    visit_case = " ".join(f"WHEN c.\"visits\" <= {high} THEN '{label}'" for _, high, label in VISIT_BANDS[:-1])
    visits = await fetch(
        f'SELECT CASE {visit_case} ELSE \'{VISIT_BANDS[-1][2]}\' END AS "band", COUNT(*) AS "n", '
        'SUM(c."visits") AS "visits" FROM (SELECT v."patient" AS "patient", COUNT(*) AS "visits" FROM "visit" v '
        'WHERE v."created_at" >= {} AND v."created_at" < {} AND {} GROUP BY v."patient") c GROUP BY "band"',
        since, until, _visit_provider(filters))
    by_visits = {row["band"]: (as_int(row["n"]), as_int(row["visits"])) for row in visits}
    visit_rows = [{"band": label, "patients": by_visits.get(label, (0, 0))[0], "visits": by_visits.get(label, (0, 0))[1]}
                  for _, _, label in VISIT_BANDS]
    return Report("patients", "Patients", facts=[
        ("Patients on the books", "count", as_int(registered)),
        ("Patients seen in the period", "count", total_seen),
        ("New patients in the period", "count", sum(new_by_month.values())),
    ], tables=[
        Table("new", "New patients by month", [Column("month", "Month", MONTH), Column("patients", "New patients", COUNT)],
              new_table, chart="patients"),
        Table("ages", "Ages of the patients seen", [Column("band", "Age", TEXT), Column("patients", "Patients", COUNT),
                                                    Column("share", "Share", PERCENT)], age_rows,
              chart="patients", horizontal=True),
        Table("sexes", "Sex of the patients seen", [Column("sex", "Sex", TEXT), Column("patients", "Patients", COUNT),
                                                    Column("share", "Share", PERCENT)], sex_rows,
              chart="patients", horizontal=True),
        Table("visits", "Visits per patient", [Column("band", "Visits in the period", TEXT),
                                               Column("patients", "Patients", COUNT), Column("visits", "Visits", COUNT)],
              visit_rows, chart="patients", horizontal=True),
    ])


async def clinical_report(filters: Filters, zone: ZoneInfo) -> Report:
    since = local_midnight(filters.first, zone)
    until = local_midnight(filters.last + dt.timedelta(days=1), zone)
    diagnoses = await fetch(
        'SELECT d."code" AS "code", MAX(d."description") AS "description", COUNT(DISTINCT d."visit") AS "visits", '
        'COUNT(DISTINCT v."patient") AS "patients" FROM "visit_diagnosis" d JOIN "visit" v ON v."id" = d."visit" '
        'WHERE v."created_at" >= {} AND v."created_at" < {} AND {} '
        'GROUP BY d."code" ORDER BY COUNT(DISTINCT d."visit") DESC, d."code" LIMIT 20',
        since, until, _visit_provider(filters))
    services = await fetch(
        'SELECT s."code" AS "code", MAX(s."description") AS "description", COUNT(DISTINCT s."visit") AS "visits", '
        'SUM(s."quantity") AS "units" FROM "visit_service" s JOIN "visit" v ON v."id" = s."visit" '
        'WHERE v."created_at" >= {} AND v."created_at" < {} AND {} '
        'GROUP BY s."code" ORDER BY SUM(s."quantity") DESC, s."code" LIMIT 20',
        since, until, _visit_provider(filters))
    visits = await fetch('SELECT COUNT(*) AS "n" FROM "visit" v WHERE v."created_at" >= {} AND v."created_at" < {} '
                         'AND {}', since, until, _visit_provider(filters))
    return Report("clinical", "Clinical", facts=[("Visits in the period", "count", as_int(visits[0]["n"]))], tables=[
        Table("diagnoses", "Top diagnoses", [
            Column("code", "Code", TEXT), Column("description", "Diagnosis", TEXT), Column("visits", "Visits", COUNT),
            Column("patients", "Patients", COUNT)],
            [{**row, "visits": as_int(row["visits"]), "patients": as_int(row["patients"])} for row in diagnoses],
            chart="visits", horizontal=True),
        Table("services", "Top services performed", [
            Column("code", "Code", TEXT), Column("description", "Service", TEXT), Column("visits", "Visits", COUNT),
            Column("units", "Units", COUNT)],
            [{**row, "code": row["code"] or "(no code)", "visits": as_int(row["visits"]), "units": as_int(row["units"])}
             for row in services], chart="units", horizontal=True),
    ])
