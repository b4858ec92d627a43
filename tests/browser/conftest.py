"""Browser tests: the real app under uvicorn, driven in Debian's headless Chromium.

Without /usr/bin/chromium they skip with one line; with CI=true they fail
instead. Each runs on both database backends, like every other database test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.live import live_server as start_live_server

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


@pytest.fixture(scope="module")
def live_server(settings):
    require_chromium()
    with start_live_server(settings) as server:
        yield server


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
