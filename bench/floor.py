"""The floor: the least a search request can cost on this machine, measured in the same run.

A bare Litestar app (no sessions, guards, CSRF, audit, compression or access
log) with one handler: read the form, run ONE raw SQL query on the same
database through the plain driver (sqlite3, or an aiomysql pool), and render
the same ``search_results`` block of templates/patients/search.html with the
clinic's own filters. Served by the same uvicorn, one worker, on loopback.
Every screen's p50 is reported as a multiple of the floor's, so results
compare across machines and across noisy runs.

    python -m bench.floor --port 8123     # DATABASE_URL or CLINIC_DATA_DIR as for the app
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3

import uvicorn
from litestar import Litestar, Request, Response, get, post

from clinic.core.clock import now
from clinic.patients.identifiers import format_mrn, is_valid_mrn
from clinic.patients.normalise import age_label, digits, format_phone, name_key, parse_date, prefix_bounds
from clinic.patients.search import RESULT_LIMIT, SearchHit
from clinic.settings import load_settings
from clinic.web.templating import template_config

COLUMNS = """p.id, p.mrn, p.first_name, p.last_name, p.preferred_name, p.date_of_birth, p.phone, p.archived_at,
  (SELECT MIN(a.starts_at) FROM appointment a WHERE a.patient = p.id AND a.starts_at >= {mark}
   AND a.status IN ('booked', 'arrived')) AS next_at"""
ORDER = "ORDER BY p.last_name_key, p.first_name_key, p.id LIMIT " + str(RESULT_LIMIT)
LIVE = "p.merged_into IS NULL AND p.archived_at IS NULL"
UTC = dt.timezone.utc


class FrontDesk:
    """The template asks whether the reader may register a patient (when nothing matched)."""

    @staticmethod
    def can(permission: str) -> bool:
        return True


def one_query(text: str, date_order: str, mark: str) -> tuple[str, list]:
    """The one query for what was typed: MRN, birth date, phone digits or a last-name prefix."""
    compact = text.replace("-", "").replace(" ", "")
    select = f"SELECT {COLUMNS.format(mark=mark)} FROM patient p WHERE "
    if compact.isdigit() and len(compact) == 7 and is_valid_mrn(compact):
        return select + f"p.mrn = {mark} AND {LIVE} {ORDER}", [compact]
    birth = parse_date(text, date_order)
    if birth:
        return select + f"p.date_of_birth = {mark} AND {LIVE} {ORDER}", [birth]
    number = digits(text)
    if number and len(number) >= 4 and number == compact:
        low, high = prefix_bounds(number[::-1])
        return select + f"p.phone_key >= {mark} AND p.phone_key < {mark} AND {LIVE} {ORDER}", [low, high]
    tokens = name_key(text.replace(",", " ")).split() or ["~"]
    low, high = prefix_bounds(" ".join(tokens[1:]) if len(tokens) > 1 else tokens[0])
    where = f"p.last_name_key >= {mark} AND p.last_name_key < {mark}"
    if len(tokens) == 1:
        return select + f"{where} AND {LIVE} {ORDER}", [low, high]
    first_low, first_high = prefix_bounds(tokens[0])  # "john smi": a first and a last name
    where += f" AND p.first_name_key >= {mark} AND p.first_name_key < {mark}"
    return select + f"{where} AND {LIVE} {ORDER}", [low, high, first_low, first_high]


def url_for(name: str, **params) -> str:
    return f"/patients/{params['patient_id']}" if params else "/patients/new"


def as_datetime(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value.replace(tzinfo=value.tzinfo or UTC) if value else None
    return dt.datetime.fromisoformat(value)


def as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def create_floor() -> Litestar:
    settings = load_settings()
    database = settings.database
    state: dict = {}

    async def open_database(app: Litestar) -> None:
        if database.is_sqlite:
            import piccolo.engine.sqlite  # noqa: F401  (its adapters turn dates into what the app stored)

            state["sqlite"] = sqlite3.connect(str(database.path), check_same_thread=False)
        else:
            import aiomysql

            state["pool"] = await aiomysql.create_pool(host=database.host, port=database.port, user=database.user,
                                                       password=database.password, db=database.name,
                                                       charset="utf8mb4", autocommit=True, maxsize=5,
                                                       init_command="SET SESSION sql_mode = 'ANSI_QUOTES'")

    async def rows_for(text: str) -> list[tuple]:
        if database.is_sqlite:
            sql, args = one_query(text, settings.date_order, "?")
            return state["sqlite"].execute(sql, [now(), *args]).fetchall()
        sql, args = one_query(text, settings.date_order, "%s")
        async with state["pool"].acquire() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, [now().replace(tzinfo=None), *args])
            return await cursor.fetchall()

    @post("/patients/search", status_code=200)
    async def search(request: Request) -> Response:
        form = await request.form()
        text = str(form.get("q", ""))[:100]
        today = dt.date.today()
        hits = [SearchHit(id=row[0], name=f"{row[3]}, {row[2]}", preferred_name=row[4], mrn=row[1],
                          date_of_birth=as_date(row[5]), age=age_label(as_date(row[5]), today),
                          phone=format_phone(row[6], settings.country), archived=row[7] is not None,
                          next_appointment=as_datetime(row[8]))
                for row in await rows_for(text)]
        environment = request.app.template_engine.engine
        template = environment.get_template("patients/search.html")
        context = template.new_context({"hits": hits, "q": text, "include_archived": False, "current_user": FrontDesk,
                                        "url_for": url_for})
        body = "".join(template.blocks["search_results"](context))
        return Response(body, media_type="text/html")

    @get("/health", sync_to_thread=False)
    def health() -> str:
        return "ok"

    return Litestar(route_handlers=[search, health], on_startup=[open_database], openapi_config=None,
                    template_config=template_config(settings, filters={"mrn": format_mrn}))


def main() -> None:
    parser = argparse.ArgumentParser(description="the benchmark's floor: one raw query, the same template")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_floor(), host="127.0.0.1", port=args.port, server_header=False, access_log=False,
                log_level="warning")


if __name__ == "__main__":
    main()
