"""The accessibility gate: every page each role reaches, at 1280 px and at 360 px.

The pages come from the form walk's crawl (tests/browser/crawl.py), one per
route template and role, each its own test id. A page fails on any serious
or critical axe-core violation (rule ids and elements listed) at either
width, and when it is wider than the screen (the element pushing it sideways
named).
"""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_missing, overflow, require_axe, serious_violations
from tests.browser.crawl import PageSpec, discover
from tests.browser.pages import settle

pytestmark = pytest.mark.browser

WIDTHS = (1280, 360)


def pytest_generate_tests(metafunc):
    if "screen" not in metafunc.fixturenames:
        return
    pages = [] if axe_missing() else discover().pages  # without axe-core, no crawl: one line says why
    if pages:
        metafunc.parametrize("screen", pages, ids=[page.key for page in pages])
    else:  # no axe-core, no browser, or the crawl failed: the fixtures say which
        metafunc.parametrize("screen", [None], ids=["nothing-crawled"])


@pytest.fixture(scope="module")
def axe_core():
    require_axe()


def test_the_page_has_no_serious_violations_and_fits_the_screen(axe_core, walk, screen: PageSpec | None):
    if screen is None:
        pytest.fail("the crawl found no page", pytrace=False)
    page = walk.page(screen.role, bypass_csp=True)  # to inject axe-core
    problems = []
    for number, width in enumerate(WIDTHS):
        page.set_viewport_size({"width": width, "height": 900})
        if number == 0:
            page.goto(walk.server.url + screen.url)
            settle(page)
        problems += [f"{width} px: {violation_line(violation)}" for violation in serious_violations(page)]
        wide = overflow(page)
        if wide["page"] > wide["viewport"]:
            culprits = "; ".join(f"{c['element']} (right edge at {c['right']} px, {c['width']} px wide"
                                 + (f", {c['text']!r}" if c["text"] else "") + ")" for c in wide["culprits"])
            problems.append(f"{width} px: the page is {wide['page']} px wide; widest: "
                            + (culprits or "no single element (text or margins overflow)"))
    if problems:
        pytest.fail(f"{screen.key} ({screen.url}):\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


def violation_line(violation: dict) -> str:
    nodes = violation["nodes"]
    targets = "; ".join(f"{node['target']}" + (f" ({node['why']})" if node["why"] else "") for node in nodes[:4])
    more = f"; and {len(nodes) - 4} more" if len(nodes) > 4 else ""
    return f"{violation['id']} ({violation['impact']}): {violation['help']}: {targets}{more}"
