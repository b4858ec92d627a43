"""Signing in (password, then MFA), signing out, the idle-session heartbeat."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from clinic.accounts import services
from clinic.accounts.forms import MFA_FORM, SIGN_IN_FORM
from clinic.audit.services import record
from clinic.core import clock
from clinic.core.crypto import derive_key
from clinic.core.forms import Form
from clinic.security import sessions
from clinic.security.guards import STEP_PAGES
from clinic.security.middleware import expired_cookie
from clinic.security.permissions import SIGNED_IN
from clinic.web.actors import actor_of
from clinic.web.degraded import forget_day_sheets
from clinic.web.forms import read_form, without_secrets
from clinic.web.pages import render

UTC = dt.timezone.utc
ALL_STAGES = (sessions.STAGE_MFA, sessions.STAGE_MFA_ENROL, sessions.STAGE_PASSWORD)
SIGN_IN_REASONS = {
    "idle": "You were signed out after a period without activity. Sign in again to continue.",
    "expired": "Your session reached its maximum length. Sign in again to continue.",
    "signed_out": "You have signed out.",
    "codes": "Too many wrong codes. Sign in again with your password; if this keeps happening, ask your administrator.",
}


def safe_next(value: str | None) -> str:
    """Only a path on this site: no scheme, no host, nothing a browser would strip.

    Browsers drop tabs and newlines from URLs ("/<tab>/evil.example" becomes
    "//evil.example"), so any control character or whitespace is refused.
    """
    if not value or not value.startswith("/") or "\\" in value:
        return "/"
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return "/"
    return value


def set_session_cookie(response: Response, request: Request, token: str) -> Response:
    """A browser-session cookie (no Max-Age, no Expires): closing the browser on a shared clinic PC
    forgets it. The idle and absolute limits are the server's (sessions.py), whatever the browser keeps."""
    settings = request.app.state.settings
    response.set_cookie(
        key=sessions.cookie_name(settings.is_production),
        value=token,
        path="/",
        secure=settings.is_production,
        httponly=True,
        samesite="lax",
    )
    return response


def after_sign_in_step(stage: str, next_path: str) -> str:
    if stage == sessions.ACTIVE:
        return next_path
    return STEP_PAGES[stage] + "?next=" + quote(next_path, safe="/")


class SignInController(Controller):
    path = "/signin"

    @get(name="accounts:signin", opt={"public": True})
    async def form(self, request: Request, next: FromQuery[str | None] = None, reason: FromQuery[str | None] = None) -> Response:
        user = request.scope.get("user")
        if user and user.stage == sessions.ACTIVE:
            return Redirect(safe_next(next), status_code=303)
        return render(request, "accounts/signin.html", {
            "form": Form(values={"next": safe_next(next)}), "spec": SIGN_IN_FORM,
            "notice": SIGN_IN_REASONS.get(reason or ""),
            "failure": None,
        })

    @post(name="accounts:signin_submit", opt={"public": True}, status_code=200)
    async def submit(self, request: Request) -> Response:
        form = await read_form(request)
        next_path = safe_next(form.get("next"))
        errors = {}
        if not form.get("email"):
            errors["email"] = "Enter your email address."
        if not form.values.get("password"):
            errors["password"] = "Enter your password."
        if errors:
            form.errors = errors
            return render(request, "accounts/signin.html", {"form": without_secrets(form), "notice": None,
                                                            "failure": None, "spec": SIGN_IN_FORM}, status_code=422)
        outcome = await services.sign_in(form.get("email"), form.values["password"], actor_of(request),
                                         request.app.state.session_policy)
        if outcome.token is None:
            return render(request, "accounts/signin.html", {"form": without_secrets(form), "notice": None,
                                                            "failure": outcome.message, "spec": SIGN_IN_FORM},
                          status_code=422)
        next_path = services.home_for(outcome.role, next_path)
        response = Redirect(after_sign_in_step(outcome.stage, next_path), status_code=303)
        return set_session_cookie(response, request, outcome.token)

    @get("/mfa", name="accounts:mfa", opt={"permission": SIGNED_IN, "stages": (sessions.STAGE_MFA,)})
    async def mfa_form(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        return render(request, "accounts/mfa.html", {"form": Form(values={"next": safe_next(next)}), "spec": MFA_FORM})

    @post("/mfa", name="accounts:mfa_submit", status_code=200,
          opt={"permission": SIGNED_IN, "stages": (sessions.STAGE_MFA,)})
    async def mfa_submit(self, request: Request) -> Response:
        user = request.scope["user"]
        if user.stage != sessions.STAGE_MFA:
            return Redirect("/", status_code=303)
        form = await read_form(request)
        actor = actor_of(request)
        code, recovery = form.values.get("code", ""), form.get("recovery_code")
        outcome = await services.second_step(user.id, code, recovery, request.app.state.settings.keyring,
                                             recovery_key(request), actor)
        if outcome == services.STEP_PAUSED:
            # Too many wrong codes: this half-signed-in session ends; start again with the password.
            await sessions.end(user.session_id, "too many wrong codes")
            return Redirect("/signin?reason=codes", status_code=303)
        if outcome != services.STEP_PASSED:
            form.errors = {"recovery_code" if recovery else "code": "That code did not work. Codes can be used once; "
                           "wait for the next one if you just used this one."}
            return render(request, "accounts/mfa.html", {"form": without_secrets(form), "spec": MFA_FORM},
                          status_code=422)
        stage = await services.next_stage(user.id, mfa_verified=True)
        token = await sessions.rotate(user.session_id, stage=stage, confirmed=True)
        response = Redirect(after_sign_in_step(stage, safe_next(form.get("next"))), status_code=303)
        return set_session_cookie(response, request, token)


def recovery_key(request: Request) -> bytes:
    return derive_key(request.app.state.settings.secret_key, "mfa-recovery-codes")


class SessionController(Controller):
    path = "/"

    @post("/signout", name="accounts:signout", status_code=303,
          opt={"permission": SIGNED_IN, "stages": ALL_STAGES})
    async def sign_out(self, request: Request) -> Response:
        user = request.scope["user"]
        await sessions.end(user.session_id, "signed out")
        forget_day_sheets(request)  # a signed-out token opens nothing, not even during an outage
        await record("auth.logout", actor_of(request), entity_type="staff", entity_id=user.id)
        settings = request.app.state.settings
        response = Redirect("/signin?reason=signed_out", status_code=303)
        response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        response.headers["Set-Cookie"] = expired_cookie(sessions.cookie_name(settings.is_production),
                                                        settings.is_production)
        if request.headers.get("hx-request") == "true":
            response = Response(b"", status_code=200, headers={
                "HX-Redirect": "/signin?reason=signed_out",
                "Clear-Site-Data": '"cache", "cookies", "storage"',
                "Set-Cookie": response.headers["Set-Cookie"],
            })
        return response

    @get("/session/status", name="accounts:session_status", cache=False,
         opt={"permission": SIGNED_IN, "stages": ALL_STAGES, "passive": True})
    async def status(self, request: Request) -> dict:
        """Seconds left before idle sign-out; asking does not count as activity."""
        user = request.scope["user"]
        policy = request.app.state.session_policy
        now = clock.now()
        idle_left = policy.idle - (now - user.last_seen_at)
        absolute_left = user.expires_at - now
        return {"seconds_left": max(0, int(min(idle_left, absolute_left).total_seconds()))}

    @post("/session/keepalive", name="accounts:keepalive", status_code=204, opt={"permission": SIGNED_IN})
    async def keep_alive(self, request: Request) -> None:
        """"Stay signed in" on the idle warning."""
        await sessions.touch(request.scope["user"], force=True)
