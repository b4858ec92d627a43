"""Budgets, and the results as a Markdown table and JSON (bench/results/latest.md and latest.json).

The budgets are the performance issue's, for year five on SQLite with one
worker; MariaDB is judged by the same numbers and reported beside. Latency
budgets compare against the floor measured in the same run (a ratio), or in
milliseconds where the issue names milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
FLOOR = "floor (bare search)"
# (screen, what, limit): what is "ratio" (p50 / floor p50 at c=1), "p95" (ms at c=1), "c10_rps", "c10_p95" (ms).
LATENCY_BUDGETS = [
    ("header search", "ratio", 3), ("header search", "p95", 8), ("header search", "c10_rps", 300),
    ("header search", "c10_p95", 50),
    ("chart page", "ratio", 4), ("chart page", "p95", 12),
    ("patient list", "ratio", 4), ("patient list", "p95", 12),
    ("today", "ratio", 4), ("today", "p95", 12),
    ("static app.css", "p95", 1),
    # the appointment book (issue 11): day and week views, and booking
    ("day view", "p95", 12), ("week view", "p95", 12), ("booking", "p95", 25), ("next available", "p95", 30),
    # visits and prescriptions (issue 12): the ICD-10 budget is the issue's; the visit page and the
    # prescription form get 15 ms, a reasonable budget for a page a little heavier than the chart (12)
    ("ICD-10 search", "p95", 10), ("visit page", "p95", 15), ("prescription form", "p95", 15),
    # billing (issue 13): the 15 ms at year five for the invoice screen, ledger and claims queue
    ("invoice screen", "p95", 15), ("patient ledger", "p95", 15), ("claims queue", "p95", 15),
]
RSS_LIMIT_MIB = 100
DRIFT_LIMIT_PERCENT = 5
FIRST_LOAD_LIMIT_BYTES = 50 * 1024
SCALE_LIMIT = 1.5


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=RESULTS.parent).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "load_average": os.getloadavg(),
            "python": platform.python_version(), "system": platform.platform(), "commit": commit}


def value_of(screens: dict, screen: str, what: str) -> float | None:
    entry = screens.get(screen)
    floor = screens.get(FLOOR)
    if not entry:
        return None
    if what == "ratio":
        return entry["c1"]["p50_ms"] / floor["c1"]["p50_ms"] if floor else None
    return {"p95": entry["c1"]["p95_ms"], "c10_rps": entry["c10"]["rps"], "c10_p95": entry["c10"]["p95_ms"]}[what]


def verdicts(run: dict, year5: dict | None = None) -> list[dict]:
    """Every budget for one backend's results: what was measured, the limit, met or missed."""
    found = []

    def judge(name: str, value: float | None, limit: float, at_least: bool = False, unit: str = "") -> None:
        if value is None:
            return
        met = value >= limit if at_least else value <= limit
        found.append({"budget": name, "value": round(value, 2), "limit": limit, "unit": unit, "met": met,
                      "at_least": at_least})

    screens = run.get("screens", {})
    for screen, what, limit in LATENCY_BUDGETS:
        label = {"ratio": "p50 / floor", "p95": "p95 ms (c=1)", "c10_rps": "req/s (c=10)",
                 "c10_p95": "p95 ms (c=10)"}[what]
        judge(f"{screen}: {label}", value_of(screens, screen, what), limit, at_least=what == "c10_rps")
    judge("RSS after load (MiB)", run.get("rss_after_load_mib"), RSS_LIMIT_MIB)
    if run.get("soak"):
        judge("RSS drift over the soak (%)", abs(run["soak"]["drift_percent"]), DRIFT_LIMIT_PERCENT)
    for page in run.get("first_load", []):
        judge(f"first load of {page['path']} (KiB gzipped)", page["gzip_bytes"] / 1024, FIRST_LOAD_LIMIT_BYTES / 1024)
    if year5:
        for screen, entry in screens.items():
            base = year5.get("screens", {}).get(screen)
            if base and screen != FLOOR:
                judge(f"{screen}: 10x p50 / year five p50", entry["c1"]["p50_ms"] / base["c1"]["p50_ms"], SCALE_LIMIT)
    return found


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def markdown(document: dict) -> str:
    out = ["# Clinic benchmark", ""]
    info = document["machine"]
    out += [f"Run {document['date']} on {info['cpu']} ({info['cores']} cores), Python {info['python']}, commit "
            f"`{info['commit']}`; load average at the start {', '.join(f'{x:.2f}' for x in info['load_average'])}.",
            ""]
    if document.get("note"):
        out += [f"**{document['note']}**", ""]
    for scale, results in document["runs"].items():
        out += [f"## {scale}: {', '.join(f'{n:,} {t}' for t, n in results['rows'].items() if n)}", "",
                f"Load generator: **{results['generator']}**; {results['seconds_per_run']:g} s per measurement; "
                f"{results['search_texts']} search texts; patients {results['source']}. One `clinic serve` worker, "
                "production settings, loopback.", ""]
        for backend, run in results["backends"].items():
            if run.get("skipped"):
                out += [f"### {backend}: skipped ({run['skipped']})", ""]
                continue
            out += [f"### {backend}", "",
                    "| screen | queries (tx) | size raw / gzip | c=1 p50 / p95 / p99 ms | p50 / floor | "
                    "c=10 p50 / p95 / p99 ms | c=10 req/s | server CPU ms/req (c=1 / c=10) |",
                    "|---|---|---|---|---|---|---|---|"]
            floor = run["screens"].get(FLOOR)
            for name, entry in run["screens"].items():
                c1, c10 = entry["c1"], entry["c10"]
                ratio = f"{c1['p50_ms'] / floor['c1']['p50_ms']:.1f}x" if floor else ""
                tx = f" ({entry['transactions']})" if entry.get("transactions") is not None else ""
                out.append(f"| {name} | {entry['queries'] if entry['queries'] is not None else ''}{tx} | "
                           f"{entry['raw_bytes'] / 1024:.1f} / {entry['gzip_bytes'] / 1024:.1f} KiB | "
                           f"{_ms(c1['p50_ms'])} / {_ms(c1['p95_ms'])} / {_ms(c1['p99_ms'])} | {ratio} | "
                           f"{_ms(c10['p50_ms'])} / {_ms(c10['p95_ms'])} / {_ms(c10['p99_ms'])} | {c10['rps']:.0f} | "
                           f"{c1.get('cpu_ms_per_request', 0):.2f} / {c10.get('cpu_ms_per_request', 0):.2f} |")
            out.append("")
            memory = f"RSS idle {run['rss_idle_mib']} MiB, after load {run['rss_after_load_mib']} MiB"
            if run.get("soak"):
                soak = run["soak"]
                memory += (f", soak of {soak['seconds']:.0f} s: {soak['rss_start_mib']} -> {soak['rss_end_mib']} MiB "
                           f"({soak['drift_percent']:+.1f}%)")
            else:
                memory += ", no soak in this run (`make bench-soak`)"
            out += [memory + ".", ""]
            pages = "; ".join(f"`{page['path']}` {page['gzip_bytes'] / 1024:.1f} KiB in {page['requests']} requests"
                              for page in run.get("first_load", []))
            out += [f"First load, empty cache, gzipped: {pages}.", "",
                    f"Data loaded in {run['load']['migrate_s']} s (migrate) + {run['load']['insert_s']} s (insert).",
                    ""]
            year5 = document["runs"].get("year5", {}).get("backends", {}).get(backend) if scale != "year5" else None
            found = verdicts(run, year5)
            out += ["| budget | measured | limit | |", "|---|---|---|---|"]
            for verdict in found:
                sign = "≥" if verdict["at_least"] else "≤"
                out.append(f"| {verdict['budget']} | {verdict['value']} | {sign} {verdict['limit']} | "
                           f"{'met' if verdict['met'] else '**missed**'} |")
            out.append("")
    return "\n".join(out) + "\n"


def write(scale: str, results: dict, note: str = "") -> Path:
    """Fold this run into latest.json (other scales' results are kept) and render latest.md from it."""
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    document = json.loads(latest.read_text()) if latest.exists() else {"runs": {}}
    document.update({"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
                     "note": note})
    previous = document["runs"].get(scale, {})
    # A run of one backend (or a soak) keeps the other backend's last results beside it.
    results = {**results, "backends": {**previous.get("backends", {}), **results["backends"]}}
    document["runs"][scale] = results
    document["runs"] = dict(sorted(document["runs"].items(), key=lambda item: item[0] != "year5"))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"run-{stamp}-{scale}.json").write_text(json.dumps(results, indent=2, default=str))
    latest.write_text(json.dumps(document, indent=2, default=str))
    text = markdown(document)
    (RESULTS / "latest.md").write_text(text)
    return RESULTS / "latest.md"
