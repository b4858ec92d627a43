"""Clinic's benchmark: `make bench` (year five, SQLite and MariaDB), or by hand:

    python -m bench                                  # year five, both backends, 15 s per measurement
    python -m bench --scale 10x                      # ten times the data (`make bench-10x`)
    python -m bench --soak 600                       # and ten minutes of mixed load for memory drift
    python -m bench --backends sqlite --seconds 3    # a quick look
    python -m bench --csv people.csv --searches texts.txt   # your own patients and search texts
    python -m bench engines                          # Piccolo's SQLite engine against ours

Writes bench/results/latest.md and latest.json (and a dated JSON per run,
not committed) and prints the table. See README, "Benchmarks".
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import engines, report
from bench.run import Options, run


def main(argv: list[str]) -> None:
    if argv[:1] == ["engines"]:
        engines.main()
        return
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("year5", "10x"), default="year5")
    parser.add_argument("--backends", default="sqlite,mariadb", help="comma-separated: sqlite, mariadb")
    parser.add_argument("--mysql-url", default=os.environ.get("CLINIC_BENCH_MYSQL_URL",
                                                              "mysql://root@127.0.0.1:3306/clinic_bench"),
                        help="MariaDB database to fill (dropped and created; default $CLINIC_BENCH_MYSQL_URL)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each measurement")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up per screen, seconds")
    parser.add_argument("--soak", type=float, default=0, help="seconds of mixed load for RSS drift (600 = 10 min)")
    parser.add_argument("--generator", choices=("auto", "wrk", "async"), default="auto")
    parser.add_argument("--csv", type=Path, help="patients: given name, family name, YYYY-MM-DD, sex")
    parser.add_argument("--searches", type=Path, help="search texts, one per line")
    parser.add_argument("--screens", default="", help="comma-separated screen names (the floor always runs)")
    parser.add_argument("--icd10", choices=("full", "sample"), default="full",
                        help="ICD-10-CM codes to load: the whole set (about a minute) or the demo's chapters")
    parser.add_argument("--note", default="", help="a line for the top of latest.md (e.g. 'busy machine')")
    args = parser.parse_args(argv)
    options = Options(scale=args.scale, backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
                      mysql_url=args.mysql_url, seconds=args.seconds, warmup_seconds=args.warmup,
                      soak_seconds=args.soak, generator=args.generator, csv=args.csv, search_file=args.searches,
                      screens=tuple(s.strip() for s in args.screens.split(",") if s.strip()), icd10=args.icd10)
    results = run(options)
    path = report.write(args.scale, results, note=args.note)
    print(path.read_text())


main(sys.argv[1:])
