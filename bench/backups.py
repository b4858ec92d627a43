"""Backup and restore times and sizes for year-five data: `python -m bench.backups`.

Fills a fresh SQLite file and (with --mysql-url) a MariaDB database with the
benchmark's year-five clinic, then times `take_backup` and `restore_backup`
into an empty migrated database of each backend, and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import pymysql

from bench.data import SCALES, build, insert_mysql, insert_sqlite
from bench.server import production_env
from clinic.core.crypto import Keyring
from clinic.db import engine_for
from clinic.db.migrations import migrate
from clinic.db.urls import parse_database_url
from clinic.ops.backups.restore import restore_backup
from clinic.ops.backups.snapshot import take_backup, verify_file


def recreate(url: str) -> None:
    database = parse_database_url(url, Path("."))
    connection = pymysql.connect(host=database.host, port=database.port, user=database.user,
                                 password=database.password, autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{database.name}`")
        cursor.execute(f"CREATE DATABASE `{database.name}` CHARACTER SET utf8mb4")
    connection.close()


async def migrated(url: str):
    engine = engine_for(parse_database_url(url, Path(".")), create=True)
    await engine.start_connection_pool()
    await migrate(engine)
    return engine


async def measure(source_url: str, target_url: str, label: str, work: Path, key: bytes) -> dict:
    engine = await migrated(source_url)
    started = time.perf_counter()
    summary = await take_backup(engine, work / f"{label}.backup", key)
    backup_s = time.perf_counter() - started
    await engine.close_connection_pool()
    started = time.perf_counter()
    verify_file(summary.path, key)
    verify_s = time.perf_counter() - started
    target = await migrated(target_url)
    started = time.perf_counter()
    await restore_backup(target, summary.path, key)
    restore_s = time.perf_counter() - started
    await target.close_connection_pool()
    return {"label": label, "rows": summary.rows, "size_mb": summary.size / 1e6, "backup_s": backup_s,
            "verify_s": verify_s, "restore_s": restore_s}


async def run(mysql_url: str | None) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="clinic-backup-bench-"))
    env = production_env(work, None)
    patients, appointments = SCALES["year5"]
    clinic = build(patients, appointments, keyring=Keyring.parse(env["CLINIC_ENCRYPTION_KEYS"]),
                   index_key=env["CLINIC_INDEX_KEY"], now=dt.datetime.now(dt.timezone.utc))
    print(f"year five: {clinic.counts()}")
    key = os.urandom(32)
    sqlite_url = f"sqlite:///{work / 'source.db'}"
    await (await migrated(sqlite_url)).close_connection_pool()
    insert_sqlite(str(work / "source.db"), clinic)
    results = [await measure(sqlite_url, f"sqlite:///{work / 'target.db'}", "SQLite -> SQLite", work, key)]
    if mysql_url:
        recreate(mysql_url)
        target = mysql_url + "_restore"
        await (await migrated(mysql_url)).close_connection_pool()
        insert_mysql(parse_database_url(mysql_url, Path(".")), clinic)
        recreate(target)
        results.append(await measure(mysql_url, target, "MariaDB -> MariaDB", work, key))
        recreate(target)
        results.append(await measure(sqlite_url, target, "SQLite -> MariaDB", work, key))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mysql-url", default=os.environ.get("CLINIC_BENCH_MYSQL_URL"))
    results = asyncio.run(run(parser.parse_args().mysql_url))
    print("| backup | rows | file | backup | verify | restore (with its checks) |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in results:
        print(f"| {row['label']} | {row['rows']:,} | {row['size_mb']:.1f} MB | {row['backup_s']:.1f} s | "
              f"{row['verify_s']:.1f} s | {row['restore_s']:.1f} s |")


if __name__ == "__main__":
    main()
