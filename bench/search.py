"""Patient search on 5,000 patients, through a real `clinic serve`, signed in as a receptionist.

Prints p50/p95 latency and throughput per kind of query, the size of the
result fragment, and the server's memory, on SQLite and (if reachable) MariaDB.
"""

from __future__ import annotations

import asyncio
import http.client
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Server, clinic
from bench.pages import BENCH_SECRETS, backends
from clinic.db import engine_for
from clinic.db.urls import parse_database_url
from clinic.piccolo_app import bind_tables

TOTAL_PATIENTS = 5000
REQUESTS = 300


async def add_patients(env: dict[str, str], count: int) -> tuple[list[str], list[str]]:
    """Bulk-add realistic patients beyond the demo's; returns MRNs and "first last" prefixes to look up."""
    import datetime as dt

    from clinic.ops.demo_people import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES
    from clinic.patients.identifiers import new_mrn
    from clinic.patients.normalise import name_key, phone_search_key
    from clinic.patients.tables import Patient

    database = parse_database_url(env.get("DATABASE_URL"), Path(env["CLINIC_DATA_DIR"]))
    engine = engine_for(database)
    await engine.start_connection_pool()
    bind_tables(engine)
    rng = random.Random(99)
    existing = {row["mrn"] for row in await Patient.select(Patient.mrn)}
    rows = []
    while len(rows) < count:
        mrn = new_mrn(rng)
        if mrn in existing:
            continue
        existing.add(mrn)
        first = rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES) + rng.choice(["", "", "son", "-" + rng.choice(LAST_NAMES)])
        phone = f"+1{rng.choice(['415', '212', '617'])}555{rng.randrange(1000, 9999)}"
        rows.append(Patient(mrn=mrn, first_name=first, last_name=last, sex=rng.choice(["female", "male"]),
                            date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 33000)),
                            phone=phone, last_name_key=name_key(last), first_name_key=name_key(first),
                            phone_key=phone_search_key(phone)))
    for start in range(0, len(rows), 500):
        await Patient.insert(*rows[start:start + 500])
    total = await Patient.count()
    sample = [row["mrn"] for row in await Patient.select(Patient.mrn).limit(50)]
    names = [f"{row['first_name_key'][:3]} {row['last_name_key'][:3]}" for row in
             await Patient.select(Patient.first_name_key, Patient.last_name_key).limit(20)]
    await engine.close_connection_pool()
    print(f"  {total} patients in the database")
    return sample, names


def signed_in_cookies(port: int, email: str, password: str) -> tuple[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/signin")
    response = connection.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("set-cookie")).group(1)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    body = f"email={email}&password={password}&next=/&_csrf_token={token}"
    connection.request("POST", "/signin", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}"})
    response = connection.getresponse()
    response.read()
    session = re.search(r"clinic_session=([^;]+)", response.getheader("set-cookie")).group(1)
    return f"csrftoken={csrf_cookie}; clinic_session={session}", token


def measure(port: int, cookies: str, token: str, label: str, queries: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, sizes = [], []
    started = time.perf_counter()
    for index in range(REQUESTS):
        query = queries[index % len(queries)]
        body = f"q={query}"
        t0 = time.perf_counter()
        connection.request("POST", "/patients/search", body=body.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies, "X-CSRFToken": token,
            "HX-Request": "true", "Accept-Encoding": "identity"})
        response = connection.getresponse()
        payload = response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status == 200, response.status
        sizes.append(len(payload))
    seconds = time.perf_counter() - started
    latencies.sort()
    print(f"  {label:<28} p50={statistics.median(latencies):6.1f} ms  p95={latencies[int(len(latencies) * .95)]:6.1f} ms"
          f"  {REQUESTS / seconds:6.1f} req/s  fragment max {max(sizes) / 1024:4.1f} KiB")


def main() -> None:
    from urllib.parse import quote

    with tempfile.TemporaryDirectory() as tmp:
        for backend, env in backends(Path(tmp)):
            env = {**env, **BENCH_SECRETS}
            print(f"[{backend}]")
            clinic("migrate", env=env)
            clinic("demo", env=env)
            mrns, names = asyncio.run(add_patients(env, TOTAL_PATIENTS - 300))
            with Server(env) as server:
                cookies, token = signed_in_cookies(server.port, "tom.becker@demo.clinic",
                                                   "demo-receptionist-password-2026")
                measure(server.port, cookies, token, "warm-up", ["smi"])
                measure(server.port, cookies, token, "last-name prefix (3 chars)", ["smi", "gar", "ngu", "mul", "oka"])
                measure(server.port, cookies, token, "first + last prefix", [quote(name) for name in names])
                measure(server.port, cookies, token, "MRN", mrns[:20])
                measure(server.port, cookies, token, "date of birth", [quote("03/15/1980"), quote("11/02/1955")])
                measure(server.port, cookies, token, "phone digits", ["0123", quote("555-0145"), "5550188"])
                print(f"  server RSS after load: {server.rss_mib():.1f} MiB")
