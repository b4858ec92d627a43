"""The crawl both browser gates share: every page each role reaches, and every form on it that POSTs.

It runs once per pytest process, while the gates are collected (each form and
each page becomes its own test id), on a seeded clinic of its own. The tests
then run against the same seed on a fresh database, where every id, and so
every URL found here, is the same again.

Breadth-first from "/", following same-origin links (never downloads, never
signing out: a link cannot change anything here, forms are only read). Each
route template is opened once per role, at the first link to it: the seed
puts the richest record first in every list (Grace Abbott has a full chart,
Ada Lovelace's sign-in is paused, so her page has the "unlock" form). Buttons
that load a form with hx-get ("Edit" in a chart section) are pressed once per
kind, and the forms they bring are walked too.
"""

from __future__ import annotations

import re
import tempfile
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from tests.browser.chromium import chromium_missing, launch
from tests.browser.pages import READ_FORMS, Field, Routes, fields_of, settle, signed_in_context
from tests.browser.seeded_clinic import ROLES, reseed, session_token
from tests.browser.walk import scratch, walk_server

PAGES_PER_TEMPLATE = 1

# Forms the walk never submits, and why; everything else is walked. "{me}" is
# the walker's own staff id.
NOT_WALKED = [
    (r"/signout", "signs the walker out"),
    (r"/account/mfa/setup", "replaces the walker's own authenticator"),
    (r"/account/mfa/disable", "turns off the walker's own two-step sign-in"),
    (r"/admin/staff/{me}/(role|deactivate|reset-password|reset-mfa)",
     "ends the walker's own sessions (changing your own role, deactivating or resetting yourself)"),
    # Not a submission: the header's search-as-you-type box answers each
    # keystroke (an empty box rightly shows nothing); test_patient_flows walks it.
    (r"/patients/search", "the header's search as you type"),
    # A file input cannot be filled by the walk: tests/documents attach files over HTTP, and
    # tests/browser/test_prescription_flows.py attaches one in the browser.
    (r"/patients/\d+/documents", "needs a file chosen"),
]
# hx-get buttons that load another view of the section rather than a form.
NOT_OPENERS = re.compile(r"/(chart/\w+|vitals|insurance|timeline)$")


def not_walked(action: str, walker_id: int) -> str | None:
    for pattern, why in NOT_WALKED:
        if re.fullmatch(pattern.replace("{me}", str(walker_id)), action):
            return why
    return None


@dataclass(frozen=True)
class PageSpec:
    role: str
    url: str
    template: str

    @property
    def key(self) -> str:
        return f"{self.role} {self.template}"


@dataclass(frozen=True)
class FormSpec:
    roles: tuple[str, ...]  # every role that meets this very form; the walk uses the first
    page_url: str
    page_template: str
    action: str  # the concrete path it posts to
    action_shape: str  # /patients/{patient_id}/chart/allergies
    index: int  # which of the page's forms posting to this action
    opener: str | None  # the hx-get of the button that brings the form in
    htmx: bool
    target: str
    select: str
    swap: str
    results_elsewhere: bool  # a filter whose answer lands outside the form (#audit-results)
    fields: tuple[Field, ...]

    @property
    def role(self) -> str:
        return self.roles[0]

    @property
    def key(self) -> str:
        return f"{'+'.join(self.roles)} {self.page_template} -> {self.action_shape}"

    def same_form(self, other: FormSpec) -> bool:
        """The same form on the same page, whoever met it."""
        return replace(self, roles=()) == replace(other, roles=())



@dataclass
class Discovery:
    pages: list[PageSpec] = field(default_factory=list)
    forms: list[FormSpec] = field(default_factory=list)
    not_walked: list[str] = field(default_factory=list)
    seed_ids: dict = field(default_factory=dict)
    problem: str | None = None  # why there is nothing to walk


_discovery: Discovery | None = None


def discover() -> Discovery:
    global _discovery
    if _discovery is None:
        _discovery = _discover()
    return _discovery


def _discover() -> Discovery:
    missing = chromium_missing()
    if missing:
        return Discovery(problem=missing)
    from playwright.sync_api import sync_playwright

    try:
        with tempfile.TemporaryDirectory(prefix="clinic-crawl-", dir=scratch()) as folder, \
                walk_server(Path(folder)) as server:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    return crawl(server, browser)
                finally:
                    browser.close()
    except Exception:  # reported by one failing test, not as a collection error that stops the suite
        return Discovery(problem="the crawl failed:\n" + traceback.format_exc())


def crawl(server, browser) -> Discovery:
    clinic = server.run(reseed, server.app)
    routes = Routes(server.app)
    found = Discovery(seed_ids=clinic.ids())
    for role in ROLES:
        walker = clinic.walkers[role]
        token = server.run(session_token, server.app, walker["id"])
        context = signed_in_context(browser, server.url, token)
        try:
            crawl_role(context.new_page(), server.url, role, walker["id"], routes, found)
        finally:
            context.close()
    return found


def crawl_role(page, base_url: str, role: str, walker_id: int, routes: Routes, found: Discovery) -> None:
    queue, queued = deque(["/"]), {"/"}
    opened: Counter = Counter()
    known_forms: set = set()
    while queue:
        path = queue.popleft()
        template = routes.template(urlsplit(path).path)
        if template is None or opened[template] >= PAGES_PER_TEMPLATE:
            continue
        response = page.goto(base_url + path)
        if response is None or not response.ok or "text/html" not in response.headers.get("content-type", ""):
            continue
        settle(page)
        landed = page.url[len(base_url):] if page.url.startswith(base_url) else None
        if landed is None or routes.template(urlsplit(landed).path) != template:
            queue_links([landed] if landed else [], queue, queued)  # redirected: visit where it leads
            continue
        opened[template] += 1
        if opened[template] == 1:
            found.pages.append(PageSpec(role, path, template))
        for form in read_forms(page, role, path, template, None, routes):
            remember(form, walker_id, known_forms, found)
        for opener in openers(page):
            page.locator(f'[hx-get="{opener}"]').first.click(timeout=5000)
            settle(page)
            for form in read_forms(page, role, path, template, opener, routes):
                remember(form, walker_id, known_forms, found)
        links = page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)")
        queue_links([link[len(base_url):] for link in links if link.startswith(base_url + "/")], queue, queued)


def queue_links(paths: list[str], queue: deque, queued: set) -> None:
    for path in paths:
        path = path.split("#")[0]
        if path and path not in queued and not path.startswith(("/static/", "/signin", "/signout")):
            queued.add(path)
            queue.append(path)


def read_forms(page, role, path, template, opener, routes: Routes) -> list[FormSpec]:
    forms, seen = [], Counter()
    for raw in page.evaluate(READ_FORMS):
        index = seen[raw["action"]]
        seen[raw["action"]] += 1
        forms.append(FormSpec(
            roles=(role,), page_url=path, page_template=template, action=raw["action"],
            action_shape=routes.shape(raw["action"]), index=index, opener=opener, htmx=raw["htmx"],
            target=raw["target"], select=raw["select"], swap=raw["swap"], results_elsewhere=raw["outside"],
            fields=fields_of(raw["fields"])))
    return forms


def remember(form: FormSpec, walker_id: int, known: set, found: Discovery) -> None:
    """The first form each role meets posting to each kind of action (a form in the page header is
    walked once, not on every page); on your own staff page some may not be walked, on Ada's they may.

    A form several roles meet identically (same page, fields and htmx attributes) is walked once, by
    the first of them; its test id names them all.
    """
    kind = (form.role, form.action_shape)
    if kind in known:
        return
    why = not_walked(form.action, walker_id)
    if why:
        if f"{form.action_shape}: {why}" not in found.not_walked:
            found.not_walked.append(f"{form.action_shape}: {why}")
        return
    known.add(kind)
    for number, earlier in enumerate(found.forms):
        if earlier.same_form(form):
            found.forms[number] = replace(earlier, roles=earlier.roles + form.roles)
            return
    found.forms.append(form)


def openers(page) -> list[str]:
    """One hx-get button per kind (its URL with ids blanked) that loads something on click."""
    urls = page.eval_on_selector_all("[hx-get]:not([hx-trigger]):not(form):not(a)",
                                     "nodes => nodes.map(n => n.getAttribute('hx-get'))")
    kinds, chosen = set(), []
    for url in urls:
        kind = re.sub(r"/\d+", "/#", url)
        if kind not in kinds and not NOT_OPENERS.search(url):
            kinds.add(kind)
            chosen.append(url)
    return chosen
