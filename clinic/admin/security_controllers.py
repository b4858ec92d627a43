"""Clinic-wide security screens: the permission matrix and the MFA policy."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post

from clinic.accounts import services as accounts
from clinic.admin.forms import POLICY_FORM
from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.security.permissions import MATRIX, PERMISSIONS, ROLE_LABELS, Role
from clinic.web.actors import actor_of
from clinic.web.forms import read_form
from clinic.web.pages import render


class SecurityController(Controller):
    path = "/admin"

    @get("/permissions", name="security:permissions", opt={"permission": "staff.manage"})
    async def permissions(self, request: Request) -> Response:
        used = permissions_in_use(request.app)
        return render(request, "admin/permissions.html", {
            "roles": [(role, ROLE_LABELS[role]) for role in Role],
            "permissions": [(name, text) for name, text in PERMISSIONS.items() if name in used],
            "matrix": MATRIX,
        })

    @get("/security", name="security:policy", opt={"permission": "security.manage"})
    async def policy(self, request: Request) -> Response:
        form = Form(values={"mfa_required_for": await accounts.mfa_policy()})
        return render(request, "admin/policy.html", {"form": form, "spec": POLICY_FORM})

    @post("/security", name="security:policy_submit", status_code=200,
          opt={"permission": "security.manage", "recent_auth": True})
    async def policy_submit(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            await accounts.set_mfa_policy(form.get("mfa_required_for"), actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "admin/policy.html", {"form": form, "spec": POLICY_FORM}, block="policy_form",
                          status_code=422)
        return render(request, "admin/policy.html", {"form": form, "spec": POLICY_FORM}, block="policy_form",
                      notice="Security policy saved. It applies from each person’s next sign-in.")


def permissions_in_use(app) -> set[str]:
    """The permissions some screen checks: a feature not built yet is not listed."""
    used = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            opt = handler.opt
            if opt.get("permission"):
                used.add(opt["permission"])
            if opt.get("patient") == "clinical":
                used.add("clinical.read")
    return used
