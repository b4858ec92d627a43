"""One benchmark run: load the data into each backend, start the app and the floor, drive every screen.

For each backend: a fresh database (migrated by `clinic migrate`, filled by
bench/data.py), then `clinic serve` with production settings and the floor
(bench/floor.py), each in its own process; staff sign in through the real
sign-in form; every screen is probed once (statements, transactions, size raw
and gzipped), warmed up, then loaded at 1 and at 10 connections. Memory is read
from /proc before and after, and optionally through a soak of mixed load.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pymysql

from bench import load
from bench.data import SCALES, bench_password, build, insert_mysql, insert_sqlite
from bench.people import people_from_csv, read_texts, search_texts
from bench.server import Process, SignedIn, clinic_command, clinic_server, first_load, probe, production_env, sign_in
from clinic.core.crypto import Keyring
from clinic.db.urls import parse_database_url

WORK_DIR = Path(__file__).resolve().parent / ".work"
SOAK_SAMPLE_SECONDS = 10


@dataclass
class Options:
    scale: str = "year5"
    backends: tuple[str, ...] = ("sqlite", "mariadb")
    mysql_url: str = "mysql://root@127.0.0.1:3306/clinic_bench"
    seconds: float = 15.0
    warmup_seconds: float = 2.0
    soak_seconds: float = 0.0
    generator: str = "auto"
    csv: Path | None = None
    search_file: Path | None = None
    screens: tuple[str, ...] = ()
    icd10: str = "full"
    log: object = field(default=sys.stderr)

    def say(self, text: str) -> None:
        print(text, file=self.log, flush=True)


@dataclass
class Screen:
    name: str
    requests: list[load.Request]
    headers: dict[str, str]
    floor: bool = False


def mariadb_reachable(url: str) -> str | None:
    database = parse_database_url(url, Path("."))
    try:
        pymysql.connect(host=database.host, port=database.port, user=database.user, password=database.password,
                        connect_timeout=3).close()
    except pymysql.err.MySQLError as error:
        return f"{error.args[0]}"
    return None


def prepare(backend: str, options: Options, clinic) -> tuple[dict[str, str], dict]:
    """A fresh database on ``backend`` holding ``clinic``; returns the app's environment and timings."""
    data_dir = WORK_DIR / backend
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if backend == "sqlite":
        for leftover in data_dir.glob("clinic.db*"):
            leftover.unlink()
        env = production_env(data_dir, None)
    else:
        database = parse_database_url(options.mysql_url, Path("."))
        connection = pymysql.connect(host=database.host, port=database.port, user=database.user,
                                     password=database.password, autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database.name}`")
            cursor.execute(f"CREATE DATABASE `{database.name}` CHARACTER SET utf8mb4")
        connection.close()
        env = production_env(data_dir, options.mysql_url)
    clinic_command("migrate", env=env)
    migrated = time.perf_counter()
    if backend == "sqlite":
        insert_sqlite(str(data_dir / "clinic.db"), clinic)
    else:
        insert_mysql(parse_database_url(options.mysql_url, Path(".")), clinic)
    # The whole ICD-10-CM code set (~98,000 codes, as a clinic loads it; the search budget is over all of
    # it), or with --icd10 sample the demo's chapters (E11, I10, J00-J06, Z00) for a quicker run.
    clinic_command("icd10", "load", *(["--sample"] if options.icd10 == "sample" else []), env=env)
    return env, {"migrate_s": round(migrated - started, 1), "insert_s": round(time.perf_counter() - migrated, 1)}


def screens(clinic, texts: list[str], front_desk: SignedIn, doctor: SignedIn, css_path: str,
            biller: SignedIn | None = None) -> list[Screen]:
    rng = random.Random(11)
    live = [patient["id"] for patient in clinic.patients if patient["archived_at"] is None]
    charts = [f"/patients/{patient_id}" for patient_id in rng.sample(live, min(300, len(live)))]
    searches = [load.Request("POST", "/patients/search", f"q={quote(text)}") for text in texts]
    browser = {"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
    lists = ["/patients", "/patients?page=2", "/patients?page=7", "/patients?sort=-last_visit",
             "/patients?sort=dob&page=3", "/patients?page=40"]
    return [
        Screen("floor (bare search)", searches, {**browser, "Content-Type": "application/x-www-form-urlencoded"},
               floor=True),
        Screen("header search", searches, {**browser, **front_desk.form_headers()}),
        Screen("chart page", [load.Request("GET", path) for path in charts], {**browser, **doctor.headers()}),
        Screen("patient list", [load.Request("GET", path) for path in lists], {**browser, **front_desk.headers()}),
        Screen("today", [load.Request("GET", "/")], {**browser, **front_desk.headers()}),
        *book_screens(clinic, front_desk, browser),
        *visit_screens(clinic, doctor, browser),
        *report_screens(doctor, browser),
        *billing_screens(clinic, biller, browser),
        Screen("health", [load.Request("GET", "/health")], browser),
        Screen("static app.css", [load.Request("GET", css_path)], browser),
    ]


def book_screens(clinic, front_desk: SignedIn, browser: dict) -> list[Screen]:
    """The appointment book: every provider's day around today, one provider's weeks, and booking.

    Each booking has its own idempotency token and a free quarter hour of its own, Monday to Friday
    within the clinic's hours more than a year ahead (year five's appointments are around today), so
    the measured requests book for real; past the last one the list starts again and the same forms
    come back as resubmissions (found by their token, booked once)."""
    today = dt.date.today()
    days = [today + dt.timedelta(days=offset) for offset in range(-3, 4)]
    clinicians = [row["id"] for row in clinic.staff if row["role"] in ("doctor", "nurse")]
    weeks = [f"/book/week/{day.isoformat()}/provider/{provider}" for day in days[::3] for provider in clinicians]
    patients = [patient["id"] for patient in clinic.patients if patient["archived_at"] is None]
    bookings = []
    day = today + dt.timedelta(days=400)
    while len(bookings) < 4000:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        for minutes in range(9 * 60, 17 * 60, 15):
            if 12 * 60 + 30 <= minutes < 13 * 60 + 30:
                continue  # the clinicians' lunch break (bench/data.py WORKING_BLOCKS)
            number = len(bookings)
            body = (f"patient_id={patients[number % len(patients)]}&provider_id={clinicians[number % len(clinicians)]}"
                    f"&day={day.isoformat()}&time={minutes // 60:02d}:{minutes % 60:02d}&minutes=15"
                    f"&token=bench-booking-{number:06d}-token")
            bookings.append(load.Request("POST", "/appointments/new", body))
    return [
        Screen("day view", [load.Request("GET", f"/book/{day.isoformat()}") for day in days],
               {**browser, **front_desk.headers()}),
        Screen("week view", [load.Request("GET", path) for path in weeks], {**browser, **front_desk.headers()}),
        Screen("booking", bookings, {**browser, **front_desk.form_headers()}),
        Screen("next available", next_available_searches(today, clinicians),
               {**browser, **front_desk.headers()}),
    ]


# As typed: code prefixes with and without the dot, whole and half words, common and rare words.
CODE_QUERIES = ["E11", "E119", "e11.9", "I10", "J02", "J06.9", "Z00", "diabetes", "type 2 diabetes",
                "hypertension", "pharyngitis", "acute sinusitis", "upper respiratory", "general examination",
                "hyperglycemia", "streptococcal", "S72", "s", "fracture of femur", "displaced fracture of shaft",
                "acute upper respiratory infection", "infection uppe", "essential hyp", "encounter for gen",
                "diabetes hypertension", "pain in left knee", "M54.5", "otitis med"]


def visit_screens(clinic, doctor: SignedIn, browser: dict) -> list[Screen]:
    """The doctor's visit page (signed visits of year five), the ICD-10 search as typed, and the
    prescription form opened from a visit."""
    from clinic.visits.tables import Visit

    rng = random.Random(12)
    visits = clinic.rows.get(Visit, [])
    chosen = rng.sample(visits, min(300, len(visits)))
    pages = [f"/patients/{visit['patient']}/visits/{visit['id']}" for visit in chosen]
    forms = [f"/patients/{visit['patient']}/prescriptions/new?visit={visit['id']}" for visit in chosen]
    codes = [f"/visits/codes?code_query={quote(text)}" for text in CODE_QUERIES]
    return [
        Screen("visit page", [load.Request("GET", path) for path in pages], {**browser, **doctor.headers()}),
        Screen("ICD-10 search", [load.Request("GET", path) for path in codes],
               {**browser, **doctor.headers(), "HX-Request": "true"}),
        Screen("prescription form", [load.Request("GET", path) for path in forms], {**browser, **doctor.headers()}),
    ]


def report_screens(doctor: SignedIn, browser: dict) -> list[Screen]:
    """The dashboard and reports over a month and over a year of year five's data (a doctor reads reports)."""
    today = dt.date.today()
    month, year = f"from={today.replace(day=1)}&to={today}", f"from={today - dt.timedelta(days=365)}&to={today}"
    headers = {**browser, **doctor.headers()}
    return [
        Screen("reports dashboard", [load.Request("GET", "/reports")], headers),
        Screen("appointments report", [load.Request("GET", f"/reports/appointments?{month}"),
                                       load.Request("GET", f"/reports/appointments?{year}")], headers),
        Screen("financial report", [load.Request("GET", f"/reports/financial?{month}"),
                                    load.Request("GET", f"/reports/financial?{year}")], headers),
        Screen("patients report", [load.Request("GET", f"/reports/patients?{year}")], headers),
        Screen("clinical report", [load.Request("GET", f"/reports/clinical?{year}")], headers),
    ]


def billing_screens(clinic, biller: SignedIn | None, browser: dict) -> list[Screen]:
    """The biller's invoice screen and a patient's ledger (invoices of year five, bench/billing.py), and
    the claims work queue."""
    from clinic.billing.tables import Invoice

    if biller is None:
        return []
    rng = random.Random(13)
    invoices = clinic.rows.get(Invoice, [])
    chosen = rng.sample(invoices, min(300, len(invoices)))
    pages = [f"/patients/{row['patient']}/billing/invoices/{row['id']}" for row in chosen]
    ledgers = [f"/patients/{row['patient']}/billing" for row in chosen]
    return [
        Screen("invoice screen", [load.Request("GET", path) for path in pages], {**browser, **biller.headers()}),
        Screen("patient ledger", [load.Request("GET", path) for path in ledgers], {**browser, **biller.headers()}),
        Screen("claims queue", [load.Request("GET", "/claims")], {**browser, **biller.headers()}),
    ]


def next_available_searches(today: dt.date, clinicians: list[int]) -> list[load.Request]:
    """Next available for each type (bench/data.py TYPES), one provider or anyone, any time or afternoons,
    from days around today (the book there is about four fifths full)."""
    searches = []
    for offset in (0, 1, 3, 7):
        day = (today + dt.timedelta(days=offset)).isoformat()
        for type_id in (1, 2):
            searches.append(f"/appointments/next-available?type={type_id}&from={day}")
            searches.append(f"/appointments/next-available?type={type_id}&provider={clinicians[offset % len(clinicians)]}"
                            f"&from={day}&part=afternoon")
    return [load.Request("GET", path) for path in searches]


def measure_backend(backend: str, options: Options, clinic, texts: list[str], generator: str) -> dict:
    env, timings = prepare(backend, options, clinic)
    options.say(f"[{backend}] loaded in {timings['migrate_s'] + timings['insert_s']:.0f} s ({timings})")
    result: dict = {"load": timings, "screens": {}}
    with clinic_server(env) as app, Process([sys.executable, "-m", "bench.floor"], env) as floor:
        time.sleep(1)
        result["rss_idle_mib"] = round(app.rss_mib(), 1)
        receptionist = next(s for s in clinic.staff if s["role"] == "receptionist")
        doctor_row = next(s for s in clinic.staff if s["role"] == "doctor")
        front_desk = sign_in(app.port, receptionist["email"], bench_password("receptionist"))
        doctor = sign_in(app.port, doctor_row["email"], bench_password("doctor"))
        billing_row = next(s for s in clinic.staff if s["role"] == "billing")
        biller = sign_in(app.port, billing_row["email"], bench_password("billing"))
        css = _css_path(app.port, front_desk)
        chosen = screens(clinic, texts, front_desk, doctor, css, biller)
        # Booking posts a form: the CSRF token of the signed-in session, as its pages carry it.
        booker = SignedIn(cookie=front_desk.cookie, csrf_token=_page_token(app.port, front_desk))
        chosen = [Screen(s.name, s.requests, {**s.headers, **booker.form_headers()}) if s.name == "booking" else s
                  for s in chosen]
        if options.screens:
            chosen = [screen for screen in chosen if screen.floor or screen.name in options.screens]
        for screen in chosen:
            server = floor if screen.floor else app
            port = server.port
            first = screen.requests[0]
            # The usual request has the clinic settings cached and the session's last-seen time fresh: the
            # fewest statements of a few tries (a refresh of either adds some now and then).
            tries = [probe(port, first.method, first.path, screen.headers, first.body.encode() or None)
                     for _ in range(3)]
            facts = min(tries, key=lambda facts: (facts.queries or 0, facts.transactions or 0))
            if facts.status != 200:
                from bench.server import fetch
                answer = fetch(port, first.method, first.path, headers=screen.headers, body=first.body.encode() or None)
                raise RuntimeError(f"{screen.name}: {first.method} {first.path} answered {facts.status}: "
                                   f"{answer.body[:300]!r}")
            load.run(generator, port, screen.requests, screen.headers, connections=1, seconds=options.warmup_seconds)
            entry = {"queries": 1 if screen.floor else facts.queries, "transactions": facts.transactions,
                     "raw_bytes": facts.raw_bytes, "gzip_bytes": facts.gzip_bytes}
            for connections in (1, 10):
                cpu = server.cpu_seconds()
                measured = load.run(generator, port, screen.requests, screen.headers, connections=connections,
                                    seconds=options.seconds)
                entry[f"c{connections}"] = measured.as_dict()
                entry[f"c{connections}"]["cpu_ms_per_request"] = round(
                    (server.cpu_seconds() - cpu) * 1000 / max(1, measured.requests), 3)
            result["screens"][screen.name] = entry
            refused = entry["c1"]["errors"] + entry["c10"]["errors"]
            if refused:  # a 4xx or 5xx answers quickly: its latency is not the screen's
                options.say(f"[{backend}] {screen.name}: {refused} responses were errors or refusals; "
                            f"its figures do not measure the screen")
            options.say(f"[{backend}] {screen.name:<20} p50 {entry['c1']['p50_ms']:6.2f} ms  p95 "
                        f"{entry['c1']['p95_ms']:6.2f} ms  c=10 {entry['c10']['rps']:7.1f} req/s  "
                        f"CPU {entry['c10']['cpu_ms_per_request']:.2f} ms/req  "
                        f"queries {entry['queries']}")
        result["rss_after_load_mib"] = round(app.rss_mib(), 1)
        result["first_load"] = [first_load(app.port, "/", front_desk.headers()),
                                first_load(app.port, "/patients", front_desk.headers()),
                                first_load(app.port, charts_path(clinic), doctor.headers())]
        if options.soak_seconds:
            result["soak"] = soak(app, chosen, generator, options)
    return result


def charts_path(clinic) -> str:
    return f"/patients/{clinic.patients[0]['id']}"


def _page_token(port: int, signed_in: SignedIn) -> str:
    import re

    from bench.server import fetch

    html = fetch(port, "GET", "/book", headers=signed_in.headers()).body
    return re.search(rb'name="csrf-token" content="([^"]+)"', html).group(1).decode()


def _css_path(port: int, signed_in: SignedIn) -> str:
    from bench.server import ASSET, fetch

    html = fetch(port, "GET", "/", headers=signed_in.headers()).body
    return next(asset.decode() for asset in ASSET.findall(html) if asset.startswith(b"/static/app.")
                and asset.split(b"?")[0].endswith(b".css"))


def soak(app: Process, chosen: list[Screen], generator: str, options: Options) -> dict:
    """Mixed load at 10 connections for a while; RSS sampled as it goes."""
    mix = [screen for screen in chosen if not screen.floor and screen.name in ("header search", "chart page",
                                                                              "patient list", "today")]
    samples = [round(app.rss_mib(), 1)]
    started = time.monotonic()
    index = 0
    while time.monotonic() - started < options.soak_seconds:
        screen = mix[index % len(mix)]
        index += 1
        load.run(generator, app.port, screen.requests, screen.headers, connections=10, seconds=SOAK_SAMPLE_SECONDS)
        samples.append(round(app.rss_mib(), 1))
    drift = (samples[-1] - samples[0]) / samples[0] * 100
    options.say(f"soak: RSS {samples[0]} -> {samples[-1]} MiB ({drift:+.1f}%) over {options.soak_seconds:.0f} s")
    return {"seconds": options.soak_seconds, "rss_start_mib": samples[0], "rss_end_mib": samples[-1],
            "rss_max_mib": max(samples), "drift_percent": round(drift, 2), "samples_mib": samples}


def run(options: Options) -> dict:
    generator = load.generator_name(options.generator)
    keyring = Keyring.parse(production_env(WORK_DIR, None)["CLINIC_ENCRYPTION_KEYS"])
    index_key = production_env(WORK_DIR, None)["CLINIC_INDEX_KEY"]
    now = dt.datetime.now(dt.timezone.utc)
    patients, appointments = SCALES[options.scale]
    people = None
    if options.csv:
        people = people_from_csv(options.csv)
        patients, appointments = len(people), len(people) * SCALES["year5"][1] // SCALES["year5"][0]
    started = time.perf_counter()
    clinic = build(patients, appointments, keyring=keyring, index_key=index_key, now=now, people=people)
    options.say(f"built {options.scale}: {clinic.counts()} in {time.perf_counter() - started:.1f} s")
    texts = read_texts(options.search_file) if options.search_file else search_texts(random.Random(3),
                                                                                    clinic.patients)
    results: dict = {"scale": options.scale, "rows": clinic.counts(), "generator": generator,
                     "seconds_per_run": options.seconds, "search_texts": len(texts),
                     "source": str(options.csv) if options.csv else "generated", "backends": {}}
    for backend in options.backends:
        if backend == "mariadb":
            reason = mariadb_reachable(options.mysql_url)
            if reason:
                options.say(f"MariaDB skipped: {reason}")
                results["backends"]["mariadb"] = {"skipped": reason}
                continue
        results["backends"][backend] = measure_backend(backend, options, clinic, texts, generator)
    return results
