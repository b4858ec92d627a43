"""Shared pieces: a real uvicorn server in a subprocess, a load generator, statistics."""

from __future__ import annotations

import gzip
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clinic(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "clinic", *args], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)


class Server:
    """`clinic serve` as a real process, so RSS and latency are the server's own."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port), "CLINIC_LOG_LEVEL": "WARNING"}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen([sys.executable, "-m", "clinic", "serve"], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/health")
                if connection.getresponse().status in (200, 503):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        assert self.process
        self.process.terminate()
        self.process.wait(timeout=10)

    def rss_mib(self) -> float:
        assert self.process
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    bytes_raw: int
    bytes_gzip: int
    errors: int

    def line(self) -> str:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat)
        p95 = lat[int(len(lat) * 0.95) - 1]
        return (f"{self.name:<28} n={self.count:<5} p50={p50:6.1f} ms  p95={p95:6.1f} ms  "
                f"{self.count / self.seconds:7.1f} req/s  page={self.bytes_raw / 1024:6.1f} KiB "
                f"(gzip {self.bytes_gzip / 1024:5.1f} KiB)  errors={self.errors}")


def load(port: int, name: str, paths: list[str], *, concurrency: int = 4, requests: int = 400,
         headers: dict[str, str] | None = None, cookies: str = "") -> Result:
    """Issue `requests` GETs over keep-alive connections from `concurrency` threads."""
    latencies: list[float] = []
    errors = 0
    sizes: list[tuple[int, int]] = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker(offset: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for index in range(per_thread):
            path = paths[(offset + index) % len(paths)]
            request_headers = {"Accept-Encoding": "identity", **(headers or {})}
            if cookies:
                request_headers["Cookie"] = cookies
            started = time.perf_counter()
            connection.request("GET", path, headers=request_headers)
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status >= 400:
                    errors += 1
                if len(sizes) < 20:
                    sizes.append((len(body), len(gzip.compress(body, 6))))
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n * 7,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    raw = int(statistics.mean(size for size, _ in sizes))
    zipped = int(statistics.mean(size for _, size in sizes))
    return Result(name, len(latencies), seconds, latencies, raw, zipped, errors)


def data_dir(tmp: Path, name: str) -> Path:
    path = tmp / name
    path.mkdir(parents=True, exist_ok=True)
    return path
