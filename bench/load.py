"""Load generators, each in a process of its own: Debian's wrk with a Lua script, or our async client.

wrk is preferred (C, an event loop per thread: it costs the machine little).
Without it the async client (bench/client.py, plain HTTP/1.1 over asyncio
streams) runs in a separate Python process; which one ran is reported. Both
keep every connection alive, cycle through a screen's requests in order, and
report p50/p95/p99 latency, requests per second and errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Request:
    method: str
    path: str
    body: str = ""


@dataclass
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    errors: int

    def as_dict(self) -> dict:
        return {key: round(value, 3) if isinstance(value, float) else value for key, value in asdict(self).items()}


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def generator_name(prefer: str) -> str:
    if prefer == "wrk" and not wrk_available():
        raise SystemExit("wrk is not installed: `make bench-setup` installs it (Debian's package), or use --generator async")
    if prefer == "auto":
        return "wrk" if wrk_available() else "async"
    return prefer


def run(generator: str, port: int, requests: list[Request], headers: dict[str, str], *, connections: int,
        seconds: float) -> Measured:
    if generator == "wrk":
        return _run_wrk(port, requests, headers, connections, seconds)
    return _run_async(port, requests, headers, connections, seconds)


def _lua_string(text: str) -> str:
    level = "=" * 3
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


LUA = """
local requests = {%(requests)s}
local headers = {%(headers)s}
local prepared = {}
local next_index = 0

function init(args)
  for i, r in ipairs(requests) do
    prepared[i] = wrk.format(r[1], r[2], headers, r[3] ~= "" and r[3] or nil)
  end
end

function request()
  next_index = next_index %% #prepared + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _run_wrk(port: int, requests: list[Request], headers: dict[str, str], connections: int,
             seconds: float) -> Measured:
    script = LUA % {
        "requests": ", ".join(f"{{{_lua_string(r.method)}, {_lua_string(r.path)}, {_lua_string(r.body)}}}"
                              for r in requests),
        "headers": ", ".join(f"[ {_lua_string(name)} ] = {_lua_string(value)}" for name, value in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", handle.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(handle.name).unlink()
    line = next((line for line in output.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk said: {output.stdout[-1000:]} {output.stderr[-1000:]}")
    data = json.loads(line[len("BENCH "):])
    elapsed = data["duration_us"] / 1e6
    return Measured(data["requests"], elapsed, data["p50"] / 1000, data["p95"] / 1000, data["p99"] / 1000,
                    data["requests"] / elapsed, data["errors"])


def _run_async(port: int, requests: list[Request], headers: dict[str, str], connections: int,
               seconds: float) -> Measured:
    spec = {"port": port, "connections": connections, "seconds": seconds, "headers": headers,
            "requests": [asdict(r) for r in requests]}
    output = subprocess.run([sys.executable, "-m", "bench.client"], input=json.dumps(spec), capture_output=True,
                            text=True, check=True, timeout=seconds + 60).stdout
    data = json.loads(output)
    return Measured(**data)
