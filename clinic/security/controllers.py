"""Clinic-wide security screens: the permission matrix and the MFA policy."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post

from clinic.accounts import services as accounts
from clinic.core.errors import Invalid
from clinic.security.permissions import MATRIX, PERMISSIONS, ROLE_LABELS, Role
from clinic.web.actors import actor_of
from clinic.web.forms import Form, read_form
from clinic.web.pages import render


class SecurityController(Controller):
    path = "/admin"

    @get("/permissions", name="security:permissions", opt={"permission": "staff.manage"})
    async def permissions(self, request: Request) -> Response:
        return render(request, "security/permissions.html", {
            "roles": [(role, ROLE_LABELS[role]) for role in Role],
            "permissions": PERMISSIONS,
            "matrix": MATRIX,
        })

    @get("/security", name="security:policy", opt={"permission": "security.manage"})
    async def policy(self, request: Request) -> Response:
        form = Form(values={"mfa_required_for": await accounts.mfa_policy()})
        return render(request, "security/policy.html", {"form": form, "saved": False})

    @post("/security", name="security:policy_submit", status_code=200,
          opt={"permission": "security.manage", "recent_auth": True})
    async def policy_submit(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            await accounts.set_mfa_policy(form.get("mfa_required_for"), actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "security/policy.html", {"form": form, "saved": False}, status_code=422)
        return render(request, "security/policy.html", {"form": form, "saved": True}, block="policy_form")
