"""Whether the database is migrated; requests wait for it with a clear 503."""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import HTTPException
from piccolo.engine.base import Engine

from clinic.db.migrations import pending

ALWAYS_SERVED = ("/health", "/static/")


class Readiness:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.pending_ids: list[str] | None = None  # None: not known yet

    @property
    def migrated(self) -> bool:
        return self.pending_ids == []

    async def refresh(self) -> list[str] | None:
        try:
            self.pending_ids = [migration.id for migration in await pending(self.engine)]
        except Exception:
            self.pending_ids = None
            raise
        return self.pending_ids


async def refuse_until_migrated(request: Request) -> None:
    if request.url.path.startswith(ALWAYS_SERVED):
        return
    readiness: Readiness = request.app.state.readiness
    if readiness.migrated:
        return
    # Someone may have run `clinic migrate` since we last looked.
    if await readiness.refresh():
        raise HTTPException(
            status_code=503,
            detail="The database has not been migrated to this version: run `clinic migrate`.",
        )
