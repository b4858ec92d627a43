"""Clinic benchmarks: a real server on demo data, on SQLite and (if reachable) MariaDB.

    python -m bench                      # everything
    python -m bench pages engines        # some of it
    CLINIC_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/clinic_bench python -m bench

Prints p50/p95 latency, throughput, server RSS and page weight.
"""

from __future__ import annotations

import sys

from bench import engines, pages, search

SUITES = {"engines": engines.main, "pages": pages.main, "search": search.main}


def main(argv: list[str]) -> None:
    chosen = argv or list(SUITES)
    for name in chosen:
        print(f"\n== {name} ==")
        SUITES[name]()


main(sys.argv[1:])
