"""Authorization on every route: deny unless a permission is declared and held.

Each handler declares ``opt={"permission": "patients.read"}`` (or
``opt={"public": True}`` for sign-in, health and static files). The guard
runs on every route:

- no declaration at all: refused to everyone (deny by default);
- nobody signed in: sent to sign-in (pages) or 401 with HX-Redirect (HTMX);
- signed in but a step is still owed (MFA, enrolment, a new password): sent
  to that step, unless the route is part of it (``opt["stages"]``);
- the role lacks the permission: 403, and the refusal is audited;
- ``opt["recent_auth"]``: the password (and code) must have been confirmed in
  the last few minutes, or the user is asked for them again.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from clinic.core import clock
from clinic.security import sessions
from clinic.security.sessions import CurrentUser

UTC = dt.timezone.utc
STEP_PAGES = {
    sessions.STAGE_MFA: "/signin/mfa",
    sessions.STAGE_MFA_ENROL: "/account/mfa/setup",
    sessions.STAGE_PASSWORD: "/account/password",
}


class RedirectRequired(HTTPException):
    """Send the browser elsewhere: 303 for pages, HX-Redirect for HTMX."""

    status_code = 303

    def __init__(self, location: str, *, htmx_status: int = 401, reason: str = "redirect"):
        super().__init__(detail=reason)
        self.location = location
        self.htmx_status = htmx_status


def current_path(connection: ASGIConnection) -> str:
    """Where to come back to: the page (never its query string, which may hold PHI)."""
    if connection.headers.get("hx-request") == "true":
        from urllib.parse import urlsplit

        page = urlsplit(connection.headers.get("hx-current-url", "")).path
        return page or "/"
    return connection.url.path


def sign_in_location(connection: ASGIConnection, reason: str = "") -> str:
    location = "/signin?next=" + quote(current_path(connection), safe="/")
    return location + (f"&reason={reason}" if reason else "")


async def authorize(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    opt = route_handler.opt
    if opt.get("public"):
        return
    permission = opt.get("permission")
    if not permission:
        raise PermissionDeniedException(detail="This page has no access rule, so nobody may use it.")
    user: CurrentUser | None = connection.scope.get("user")
    if user is None:
        reason = connection.scope.get("state", {}).get("session_end_reason", "")
        raise RedirectRequired(sign_in_location(connection, reason if reason in ("idle", "expired") else ""),
                               reason="sign-in required")
    if user.stage != sessions.ACTIVE:
        if user.stage not in opt.get("stages", ()):
            raise RedirectRequired(STEP_PAGES.get(user.stage, "/signin"), htmx_status=403, reason="step required")
        return
    if not user.can(permission):
        from clinic.audit.services import record
        from clinic.web.actors import actor_of

        patient_id = connection.path_params.get("patient_id")
        await record("access.denied", actor_of(connection), entity_type="route",
                     entity_id=connection.scope.get("path_template", "")[:40], outcome="denied",
                     detail=permission, patient_id=patient_id if isinstance(patient_id, int) else None)
        raise PermissionDeniedException()
    if opt.get("recent_auth"):
        window = connection.app.state.session_policy.reauth
        if clock.now() - user.confirmed_at > window:
            raise RedirectRequired("/account/confirm?next=" + quote(current_path(connection), safe="/"),
                                   htmx_status=403, reason="confirm your password")
