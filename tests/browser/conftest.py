"""Browser tests: the real app under uvicorn, driven in Debian's headless Chromium.

Without /usr/bin/chromium they skip with one line; with CI=true they fail
instead. Each runs on both database backends, like every other database test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from clinic.app import create_app
from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CLINIC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"browser tests are mandatory in CI: {CHROMIUM} not found", pytrace=False)
        pytest.skip(f"browser tests skipped: {CHROMIUM} not found (apt-get install chromium)")


@dataclass
class LiveServer:
    url: str
    app: object
    loop: asyncio.AbstractEventLoop

    def run(self, function, *args, **kwargs):
        """Run an async function (a factory, a service) on the server's own loop."""
        return asyncio.run_coroutine_threadsafe(function(*args, **kwargs), self.loop).result(timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(settings) -> LiveServer:
    require_chromium()
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    loops: list[asyncio.AbstractEventLoop] = []

    def serve():
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", app=app, loop=loops[0])
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class BrowserPage:
    page: object
    console_errors: list[str]


@pytest.fixture
def browser_page(browser, live_server, harness_reset) -> BrowserPage:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield BrowserPage(page=page, console_errors=errors)
    context.close()


@pytest.fixture
def harness_reset(live_server):
    """Each browser test starts from empty tables, like every other test."""
    from tests.conftest import empty_tables

    live_server.run(empty_tables, live_server.app.state.engine)
    return live_server


@pytest.fixture
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")
