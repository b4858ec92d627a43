"""Browser tests: the real app under uvicorn, driven in Debian's headless Chromium.

Without /usr/bin/chromium they skip with one line; with CI=true they fail
instead. They run on SQLite only: what a browser does with a page does not
depend on the database behind it, and every HTTP and database test already
runs on both backends. Their database is their own, so these tests never
depend on the parametrised ``backend`` fixture.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.chromium import launch, require_chromium
from tests.conftest import create_database, settings_for
from tests.live import live_server as start_live_server


@pytest.fixture(scope="session")
def browser_database_url(tmp_path_factory) -> str:
    """A freshly migrated SQLite database for the browser tests of this run."""
    return create_database(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'clinic.db'}")


@pytest.fixture(scope="session")
def browser_settings(browser_database_url, data_dir):
    return settings_for(browser_database_url, data_dir)


@pytest.fixture(scope="module")
def live_server(browser_settings):
    require_chromium()
    with start_live_server(browser_settings) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
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


@pytest.fixture(scope="module")
def walk(browser):
    """The crawled clinic for the form walk and the accessibility gate: its own server and database."""
    from tests.browser.crawl import discover
    from tests.browser.walk import Walk, scratch, walk_server

    found = discover()
    if found.problem:
        pytest.fail(found.problem, pytrace=False)
    with tempfile.TemporaryDirectory(prefix="clinic-walk-", dir=scratch()) as folder, \
            walk_server(Path(folder)) as server:
        walk = Walk(server, browser, found.seed_ids)
        yield walk
        walk.close()


@pytest.fixture
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def pytest_collection_modifyitems(items):
    # One xdist worker takes every browser test (`--dist loadgroup`), so the seeded
    # clinic is crawled once per run rather than once per worker.
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))
