"""Per-person limits on searches and exports, counted in a shared store so every instance agrees.

A fixed window per person and kind (searches a minute, exports an hour):
cheap, one row per person and window in the database store, and forgiving
of a burst at a window's edge, which is all a limit against a runaway
script or a scraping account needs. Routes are named here, in one place,
rather than marked in each domain's controllers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from litestar.stores.memory import MemoryStore
from litestar.types import ASGIApp, Receive, Scope, Send

STORE = "user_rate"


@dataclass(frozen=True)
class Limit:
    kind: str  # "search" | "export"
    most: int
    seconds: int
    noun: str  # "searches"

    @property
    def per(self) -> str:
        return "minute" if self.seconds == 60 else "hour" if self.seconds == 3600 else f"{self.seconds} seconds"


SEARCH_ROUTES = ("patients:search", "book:find_patient", "prescriptions:drugs", "visits:codes")
EXPORT_ROUTES = ("records:export_json", "records:export_fhir", "audit:export")


class RateLimited(Exception):
    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(f"{limit.kind} limit reached")
        self.limit = limit
        self.retry_after = retry_after


def limits_by_route(searches_per_minute: int, exports_per_hour: int) -> dict[str, Limit]:
    search = Limit("search", searches_per_minute, 60, "searches")
    export = Limit("export", exports_per_hour, 3600, "exports")
    return {**dict.fromkeys(SEARCH_ROUTES, search), **dict.fromkeys(EXPORT_ROUTES, export)}


def user_rate_limit_middleware(limits: dict[str, Limit]):
    """Litestar middleware, placed after the session middleware (it counts per signed-in person)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            handler = scope.get("route_handler")
            limit = limits.get(handler.name) if handler is not None and handler.name else None
            user = scope.get("user")
            if limit is not None and user is not None:
                await count(scope["app"].stores.get(STORE), limit, user.id)
            await app(scope, receive, send)

        return limited

    return middleware


class ProcessCounts(MemoryStore):
    """The counts in this process's memory, for SQLite: one process serves a SQLite clinic (several
    instances need MySQL), and a write per search there would cost a commit and its fsync.
    (A Litestar store, as the app's registry wants; only ``increment`` is used.)"""

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, tuple[int, float]] = {}

    async def increment(self, key: str, expires_in: int) -> int:
        now = time.monotonic()
        if len(self._counts) > 10_000:  # windows past their end, dropped now and then
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        counted, until = self._counts.get(key, (0, 0.0))
        if until <= now:
            counted, until = 0, now + expires_in
        self._counts[key] = (counted + 1, until)
        return counted + 1


async def count(store, limit: Limit, user_id: int, now: float | None = None) -> int:
    """Count one more (``store``: clinic.security.store.DatabaseStore, or ProcessCounts on SQLite); raises
    RateLimited past the limit."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    counted = await store.increment(f"{limit.kind}:{user_id}:{window}", limit.seconds + 5)
    if counted > limit.most:
        raise RateLimited(limit, max(1, int((window + 1) * limit.seconds - now)))
    return counted
