"""The app under test: a real `clinic serve` process with production settings, and how to talk to it.

Production settings mean ``CLINIC_ENV=production``: real secrets, JSON access
logs at INFO, the inline job worker, ``__Host-`` cookies marked Secure. The
server listens on plain HTTP on loopback and the benchmark speaks to it as a
TLS-terminating proxy would (Railway's does): ``X-Forwarded-Proto: https`` from
127.0.0.1, which uvicorn trusts (``CLINIC_FORWARDED_ALLOW_IPS``), and cookies
sent back by hand (a browser would not send a Secure cookie over http; a proxy
passes them through). ``CLINIC_COUNT_QUERIES=1`` is on so each screen's
statements can be read from a response header; it costs a context-variable
look-up per statement.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from clinic.security.sessions import cookie_name

SECRETS = {
    "CLINIC_SECRET_KEY": "bench-secret-8c1f4e7a2b9d6f3e0a5c7e9b1d3f",
    "CLINIC_AUDIT_KEY": "bench-audit-key-3e8a1c5f7b9d2e4a6c8b",
    "CLINIC_INDEX_KEY": "bench-index-key-7d1e5b3a9c2f8e4a6b0d",
    "CLINIC_ENCRYPTION_KEYS": "b1:" + "D" * 42 + "g",
}
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
SESSION_COOKIE = cookie_name(production=True)
CSRF_COOKIE = "__Host-csrftoken"


def production_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**SECRETS, "CLINIC_ENV": "production", "CLINIC_DATA_DIR": str(data_dir),
           "CLINIC_TIMEZONE": "America/New_York", "CLINIC_COUNTRY": "US", "CLINIC_COUNT_QUERIES": "1",
           "CLINIC_FORWARDED_ALLOW_IPS": "127.0.0.1",
           # One person searches thousands of times a minute here: the per-person limit would answer 429s
           # (quick ones) instead of searches.
           "CLINIC_SEARCH_RATE_PER_MINUTE": "1000000", "CLINIC_EXPORT_RATE_PER_HOUR": "1000000"}
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Process:
    """A server in a process of its own, so its memory and CPU are its own."""

    def __init__(self, command: list[str], env: dict[str, str], ready_path: str = "/health"):
        self.port = free_port()
        self.command = [*command, "--port", str(self.port)]
        self.env = {**os.environ, **env, "PORT": str(self.port)}
        self.ready_path = ready_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Process":
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{' '.join(self.command)} exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if fetch(self.port, "GET", self.ready_path).status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{' '.join(self.command)} did not answer in 60 s")

    def __exit__(self, *exc) -> None:
        assert self.process
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def rss_mib(self) -> float:
        assert self.process
        return rss_mib(self.process.pid)

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used: per request, it is what a 0.25 vCPU host pays for."""
        assert self.process
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clinic_server(env: dict[str, str]) -> Process:
    return Process([sys.executable, "-m", "clinic", "serve", "--host", "127.0.0.1"], env)


def clinic_command(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "clinic", *args], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)


def fetch(port: int, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes | None = None,
          timeout: float = 30) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
        response = connection.getresponse()
        payload = response.read()
        cookies = {}
        for value in response.headers.get_all("set-cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            cookies.update({name: morsel.value for name, morsel in jar.items()})
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, payload, cookies)
    finally:
        connection.close()


@dataclass
class SignedIn:
    """A member of staff's browser: the cookies and the CSRF token its pages carry."""

    cookie: str
    csrf_token: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, **extra}

    def form_headers(self) -> dict[str, str]:
        return self.headers(**{"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf_token,
                               "HX-Request": "true"})


def sign_in(port: int, email: str, password: str) -> SignedIn:
    page = fetch(port, "GET", "/signin")
    csrf_cookie = page.cookies[CSRF_COOKIE]
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page.body).group(1).decode()
    body = urlencode({"email": email, "password": password, "next": "/", "_csrf_token": token}).encode()
    answer = fetch(port, "POST", "/signin", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{CSRF_COOKIE}={csrf_cookie}"})
    if SESSION_COOKIE not in answer.cookies:
        raise RuntimeError(f"sign-in as {email} failed ({answer.status})")
    cookie = f"{CSRF_COOKIE}={csrf_cookie}; {SESSION_COOKIE}={answer.cookies[SESSION_COOKIE]}"
    # The token is bound to the session: a signed-in page carries the one its forms must echo.
    home = fetch(port, "GET", "/", headers={"Cookie": cookie})
    token = re.search(rb'name="csrf-token" content="([^"]+)"', home.body).group(1).decode()
    return SignedIn(cookie=cookie, csrf_token=token)


@dataclass
class Probe:
    """One request's facts: statements, transactions, size raw and gzipped."""

    status: int
    queries: int | None
    transactions: int | None
    raw_bytes: int
    gzip_bytes: int


def probe(port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> Probe:
    compressed = fetch(port, method, path, headers={**headers, "Accept-Encoding": "gzip"}, body=body)
    raw = compressed.body
    if compressed.headers.get("content-encoding") == "gzip":
        raw = gzip.decompress(compressed.body)
    queries = compressed.headers.get("x-query-count")
    transactions = compressed.headers.get("x-transaction-count")
    return Probe(compressed.status, int(queries) if queries else None, int(transactions) if transactions else None,
                 len(raw), len(compressed.body))


ASSET = re.compile(rb'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="(/[^"]+)"')


def first_load(port: int, path: str, headers: dict[str, str]) -> dict:
    """A full page as a browser with an empty cache gets it: the HTML and every asset it names, gzipped."""
    page = fetch(port, "GET", path, headers={**headers, "Accept-Encoding": "gzip"})
    html = gzip.decompress(page.body) if page.headers.get("content-encoding") == "gzip" else page.body
    total, requests, assets = len(page.body), 1, []
    for asset in dict.fromkeys(ASSET.findall(html)):
        answer = fetch(port, "GET", asset.decode(), headers={"Accept-Encoding": "gzip"})
        total += len(answer.body)
        requests += 1
        assets.append({"path": asset.decode().split("?")[0], "bytes": len(answer.body), "status": answer.status})
    return {"path": path, "gzip_bytes": total, "requests": requests, "html_gzip_bytes": len(page.body),
            "assets": assets}
