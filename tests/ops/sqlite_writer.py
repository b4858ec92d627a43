"""A writer for test_sqlite_kill.py: writes through the app's own SQLite engine (its pragmas, its
transactions) and prints each number only after its transaction committed, as a user would be
told "saved". Each write puts a row in two tables in one transaction.

    python -m tests.ops.sqlite_writer DATABASE_URL FIRST_NUMBER
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from clinic.db import engine_for
from clinic.db.schema import raw
from clinic.db.urls import parse_database_url


async def main(url: str, first: int) -> None:
    engine = engine_for(parse_database_url(url, Path(".")), create=True)
    await engine.start_connection_pool()
    number = first
    while True:
        payload = os.urandom(300).hex()
        async with engine.transaction():
            await raw(engine, "INSERT INTO kill_write (n, payload) VALUES ({}, {})", number, payload)
            await raw(engine, "INSERT INTO kill_write_pair (n, payload_length) VALUES ({}, {})", number, len(payload))
        print(number, flush=True)
        number += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
