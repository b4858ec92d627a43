"""Page latency on the demo clinic, through a real `clinic serve` process."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pymysql

from bench.common import Server, clinic, data_dir, load
from clinic.db.urls import parse_database_url

MYSQL_URL = os.environ.get("CLINIC_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/clinic_bench")
BENCH_SECRETS = {
    "CLINIC_SECRET_KEY": "bench-secret-8c1f4e7a2b9d6f3e0a5c", "CLINIC_TIMEZONE": "America/New_York",
    "CLINIC_AUDIT_KEY": "bench-audit-key-3e8a1c5f7b9d2e4a6c8b", "CLINIC_INDEX_KEY": "bench-index-key-7d1e5b3a9c2f8e4a6b0d",
    "CLINIC_ENCRYPTION_KEYS": "b1:" + "D" * 42 + "g",
}


def backends(tmp: Path) -> list[tuple[str, dict[str, str]]]:
    found = [("sqlite", {"CLINIC_DATA_DIR": str(data_dir(tmp, "sqlite"))})]
    database = parse_database_url(MYSQL_URL, tmp)
    try:
        connection = pymysql.connect(host=database.host, port=database.port, user=database.user,
                                     password=database.password, autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database.name}`")
            cursor.execute(f"CREATE DATABASE `{database.name}`")
        connection.close()
        found.append(("mariadb", {"CLINIC_DATA_DIR": str(data_dir(tmp, "mysql")), "DATABASE_URL": MYSQL_URL}))
    except pymysql.err.MySQLError as error:
        print(f"(MariaDB skipped: {error.args[0]})")
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for backend, env in backends(Path(tmp)):
            env = {**env, **BENCH_SECRETS}
            clinic("migrate", env=env)
            clinic("demo", env=env)
            with Server(env) as server:
                load(server.port, "warm-up", ["/", "/health"], requests=100)
                for result in scenarios(server.port):
                    print(f"[{backend}] {result.line()}")
                print(f"[{backend}] server RSS after load: {server.rss_mib():.1f} MiB")


def scenarios(port: int):
    from bench.search import signed_in_cookies

    cookies, _ = signed_in_cookies(port, "tom.becker@demo.clinic", "demo-receptionist-password-2026")
    yield load(port, "GET /health", ["/health"])
    yield load(port, "GET /signin", ["/signin"])
    yield load(port, "GET / (today, full page)", ["/"], cookies=cookies)
    yield load(port, "GET / (today, fragment)", ["/"], headers={"HX-Request": "true"}, cookies=cookies)
    yield load(port, "GET /patients (list)", ["/patients", "/patients?page=2", "/patients?sort=-last_visit"],
               cookies=cookies)
    yield load(port, "GET /patients/{id} (chart)", [f"/patients/{n}" for n in range(1, 60)], cookies=cookies)
