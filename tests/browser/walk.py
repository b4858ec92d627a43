"""The clinic the gates walk at test time: a live server on its own database, re-seeded when a test changed it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from tests.browser.pages import session_cookie, signed_in_context
from tests.browser.seeded_clinic import SeededClinic, reseed, session_token
from tests.conftest import create_database, settings_for
from tests.live import live_server


def scratch() -> str | None:
    """Where the walk keeps its database: in memory when the machine has /dev/shm.

    SQLite syncs every write to disk here (synchronous=FULL) and every chart
    section a page loads writes an audit entry; in memory that costs nothing.
    """
    return "/dev/shm" if Path("/dev/shm").is_dir() else None


@contextmanager
def walk_server(folder: Path):
    """The app under uvicorn on a fresh SQLite database in folder.

    Identity confirmations last an hour here (the most settings allow): the
    walk opens sessions directly, without the sign-in form, and must not meet
    "confirm it's you" halfway through.
    """
    url = create_database(f"sqlite:///{folder / 'walk.db'}")
    with live_server(settings_for(url, folder, CLINIC_REAUTH_MINUTES="60")) as server:
        yield server


class Walk:
    """The seeded clinic, one signed-in session per role, and whether a test has changed anything."""

    def __init__(self, server, browser, seed_ids: dict):
        self.server = server
        self.browser = browser
        self.seed_ids = seed_ids
        self.clinic: SeededClinic | None = None
        self.tokens: dict[str, str] = {}
        self.pages: dict[tuple, object] = {}  # one browser profile per role (and options), reused
        self.changed = True

    def ready(self) -> SeededClinic:
        """The seeded clinic, re-seeded if the last test saved something (or ended a session)."""
        if self.changed or self.clinic is None:
            self.clinic = self.server.run(reseed, self.server.app)
            assert self.clinic.ids() == self.seed_ids, (
                "the seed no longer gives the ids the crawl saw, so its URLs point elsewhere: "
                f"{self.clinic.ids()} != {self.seed_ids} (tests/browser/seeded_clinic.py must seed empty tables "
                "in a fixed order)")
            self.tokens = {}
            self.changed = False
            for (role, *_), page in self.pages.items():  # the old sessions went with the old seed
                page.context.clear_cookies()
                page.context.add_cookies(session_cookie(self.server.url, self.token(role)))
        return self.clinic

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()
        self.pages = {}

    def token(self, role: str) -> str:
        if role not in self.tokens:
            staff_id = self.ready().walkers[role]["id"]
            self.tokens[role] = self.server.run(session_token, self.server.app, staff_id)
        return self.tokens[role]

    def page(self, role: str, **options):
        """The role's signed-in page (kept between tests: a new browser profile per test is slow);
        any POST the server accepts marks the clinic for re-seeding before the next test."""
        self.ready()
        key = (role, *sorted(options.items()))
        page = self.pages.get(key)
        if page is None or page.is_closed():
            context = signed_in_context(self.browser, self.server.url, self.token(role), **options)
            context.on("response", self._note_change)
            page = self.pages[key] = context.new_page()
        return page

    def _note_change(self, response) -> None:
        if response.request.method == "POST" and response.status < 400:
            self.changed = True
