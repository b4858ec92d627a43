"""Each person's own account: password, two-step sign-in, confirming identity."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from clinic.accounts import services
from clinic.accounts.controllers import recovery_key, safe_next, set_session_cookie
from clinic.accounts.forms import CONFIRM_FORM, MFA_SETUP_FORM, PASSWORD_FORM
from clinic.audit.services import record
from clinic.core.crypto import derive_key
from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.security import mfa, sessions
from clinic.security.middleware import read_cookie
from clinic.security.permissions import ROLE_LABELS, SIGNED_IN, Role
from clinic.web.actors import actor_of
from clinic.web.forms import read_form, without_secrets
from clinic.web.pages import navigate, render


class AccountController(Controller):
    path = "/account"

    @get(name="accounts:account", opt={"permission": SIGNED_IN})
    async def overview(self, request: Request) -> Response:
        return render(request, "accounts/account.html", await overview_context(request))

    # -- password --------------------------------------------------------------

    @get("/password", name="accounts:password",
         opt={"permission": SIGNED_IN, "stages": (sessions.STAGE_PASSWORD,), "recent_auth": True})
    async def password_form(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        return render(request, "accounts/password.html", {
            "form": Form(values={"next": safe_next(next)}), "spec": password_form(request),
            "forced": request.scope["user"].stage == sessions.STAGE_PASSWORD,
        })

    @post("/password", name="accounts:password_submit", status_code=200,
          opt={"permission": SIGNED_IN, "stages": (sessions.STAGE_PASSWORD,), "recent_auth": True})
    async def password_submit(self, request: Request) -> Response:
        user = request.scope["user"]
        form = await read_form(request)
        forced = user.stage == sessions.STAGE_PASSWORD
        try:
            await services.change_password(user.id, form.values.get("current_password", ""),
                                           form.values.get("new_password", ""),
                                           form.values.get("confirm_password", ""), actor_of(request),
                                           clinic_name=request.app.state.clinic_name)
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "accounts/password.html", {"form": without_secrets(form), "forced": forced,
                                                              "spec": password_form(request)}, status_code=422)
        # Other browsers signed in with the old password are signed out; this
        # one continues under a new session id.
        await sessions.end_all(user.id, "password changed", except_session=user.session_id)
        stage = await services.next_stage(user.id, mfa_verified=True)
        token = await sessions.rotate(user.session_id, stage=stage, confirmed=True)
        target = safe_next(form.get("next")) if stage == sessions.ACTIVE else "/account/mfa/setup"
        response = navigate(request, target if forced else request.app.route_reverse("accounts:account"),
                            notice="Your password was changed. Other browsers were signed out.")
        return set_session_cookie(response, request, token)

    # -- two-step sign-in ---------------------------------------------------------

    @get("/mfa/setup", name="accounts:mfa_setup",
         opt={"permission": SIGNED_IN, "stages": (sessions.STAGE_MFA_ENROL,), "recent_auth": True})
    async def mfa_setup(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        # A GET changes nothing: the secret offered is derived, not stored (see mfa.enrolment_secret).
        return render(request, "accounts/mfa_setup.html", mfa_setup_context(
            request.scope["user"], offered_secret(request), Form(values={"next": safe_next(next)})))

    @post("/mfa/setup", name="accounts:mfa_setup_submit", status_code=200,
          opt={"permission": SIGNED_IN, "stages": (sessions.STAGE_MFA_ENROL,), "recent_auth": True})
    async def mfa_setup_submit(self, request: Request) -> Response:
        user = request.scope["user"]
        form = await read_form(request)
        keyring = request.app.state.settings.keyring
        secret = offered_secret(request)
        step = mfa.matching_step(secret, form.values.get("code", ""))
        if step is None:
            await record("auth.mfa_enrol_failed", actor_of(request), entity_type="staff", entity_id=user.id,
                         outcome="failure")
            form.errors = {"code": "That code did not match. Check the time on your phone, and enter the "
                                   "6-digit code currently shown."}
            return render(request, "accounts/mfa_setup.html", mfa_setup_context(user, secret, without_secrets(form)),
                          status_code=422)
        await mfa.enable(user.id, secret, step, keyring)
        codes = await mfa.replace_recovery_codes(user.id, recovery_key(request))
        await record("auth.mfa_enrolled", actor_of(request), entity_type="staff", entity_id=user.id)
        await sessions.end_all(user.id, "MFA changed", except_session=user.session_id)
        stage = await services.next_stage(user.id, mfa_verified=True)
        # A new token: from now on this session would be offered another secret.
        token = await sessions.rotate(user.session_id, stage=stage, confirmed=True)
        response = render(request, "accounts/recovery_codes.html", {
            "codes": codes, "next": safe_next(form.get("next")), "first_time": True,
        }, notice="Two-step sign-in is on.")
        return set_session_cookie(response, request, token)

    @post("/mfa/recovery-codes", name="accounts:recovery_codes", status_code=200,
          opt={"permission": SIGNED_IN, "recent_auth": True})
    async def new_recovery_codes(self, request: Request) -> Response:
        user = request.scope["user"]
        if not user.mfa_enabled:
            return Redirect("/account", status_code=303)
        codes = await mfa.replace_recovery_codes(user.id, recovery_key(request))
        await record("auth.recovery_codes_replaced", actor_of(request), entity_type="staff", entity_id=user.id)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/account",
                                                                "first_time": False},
                      notice="New recovery codes made. The old ones no longer work.")

    @post("/mfa/disable", name="accounts:mfa_disable", status_code=303,
          opt={"permission": SIGNED_IN, "recent_auth": True})
    async def mfa_disable(self, request: Request) -> Response:
        user = request.scope["user"]
        if await services.mfa_required(user.role):
            return render(request, "accounts/account.html", await overview_context(request),
                          error="Your clinic requires two-step sign-in for your role.", status_code=409)
        await mfa.disable(user.id)
        await record("auth.mfa_disabled", actor_of(request), entity_type="staff", entity_id=user.id)
        token = await sessions.rotate(user.session_id, confirmed=True)
        return set_session_cookie(navigate(request, request.app.route_reverse("accounts:account"),
                                           notice="Two-step sign-in was turned off."), request, token)

    # -- confirming identity before sensitive actions -------------------------------

    @get("/confirm", name="accounts:confirm", opt={"permission": SIGNED_IN})
    async def confirm_form(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        return render(request, "accounts/confirm.html", {"form": Form(values={"next": safe_next(next)}),
                                                         "spec": CONFIRM_FORM})

    @post("/confirm", name="accounts:confirm_submit", status_code=200, opt={"permission": SIGNED_IN})
    async def confirm_submit(self, request: Request) -> Response:
        user = request.scope["user"]
        form = await read_form(request)
        try:
            await services.confirm_identity(user.id, form.values.get("password", ""), form.values.get("code", ""),
                                            request.app.state.settings.keyring, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "accounts/confirm.html", {"form": without_secrets(form), "spec": CONFIRM_FORM},
                          status_code=422)
        await sessions.confirm(user.session_id)
        return Redirect(safe_next(form.get("next")), status_code=303)


def offered_secret(request: Request) -> str:
    """The authenticator secret this browser session is offered while enrolling."""
    settings = request.app.state.settings
    token = read_cookie(request.scope, sessions.cookie_name(settings.is_production)) or ""
    return mfa.enrolment_secret(derive_key(settings.secret_key, "mfa-enrolment"), token)


def mfa_setup_context(user, secret: str, form: Form) -> dict:
    uri = mfa.provisioning_uri(secret, user.email)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return {"form": form, "spec": MFA_SETUP_FORM, "qr_svg": mfa.qr_svg(uri), "secret": grouped,
            "already_enabled": user.mfa_enabled}


async def overview_context(request: Request) -> dict:
    user = request.scope["user"]
    return {
        "role_label": ROLE_LABELS.get(Role(user.role), user.role),
        "mfa_required": await services.mfa_required(user.role),
        "codes_left": await mfa.recovery_codes_left(user.id) if user.mfa_enabled else 0,
        "live_sessions": await sessions.live_sessions(user.id, request.app.state.session_policy),
    }


def password_form(request: Request):
    """A person changing a temporary password is asked for that one."""
    if request.scope["user"].stage == sessions.STAGE_PASSWORD:
        return PASSWORD_FORM.with_field("current_password", label="Temporary password")
    return PASSWORD_FORM
