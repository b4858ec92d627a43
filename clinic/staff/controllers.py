"""Administrators' staff screens: list, create, edit, role, access, sessions."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.core.paging import page_number
from clinic.security import mfa, sessions
from clinic.staff import services
from clinic.staff.forms import ROLE_FORM, ROLES, STAFF_FILTERS, STAFF_FORM, STATUSES
from clinic.staff.services import SORTS, LastAdministrator
from clinic.web.actors import actor_of
from clinic.web.forms import read_form
from clinic.web.pages import render

MANAGE = {"permission": "staff.manage"}
SENSITIVE = {"permission": "staff.manage", "recent_auth": True}
LAST_ADMIN = "The clinic must keep at least one active administrator. Make someone else an administrator first."


def choices() -> dict:
    return {"spec": STAFF_FORM, "role_form": ROLE_FORM, "filters_spec": STAFF_FILTERS, "role_labels": dict(ROLES)}


class StaffController(Controller):
    path = "/admin/staff"

    @get(name="staff:list", opt=MANAGE)
    async def list(self, request: Request, q: FromQuery[str] = "", role: FromQuery[str] = "",
                   status: FromQuery[str] = "active", sort: FromQuery[str] = "name",
                   page: FromQuery[str] = "1") -> Response:
        status = status if status in STATUSES else "active"
        sort = sort if sort in SORTS else "name"
        role = role if role in dict(ROLES) else ""
        search = q.replace("%", "").replace("_", "")[:100]
        result = await services.list_staff(search=search, role=role, status=status, sort=sort,
                                           page=page_number(page))
        filters = {"q": search, "role": role, "status": status, "sort": sort}
        base = request.app.route_reverse("staff:list")
        return render(request, "staff/list.html", {
            "page": result, "filters": Form(values=filters),
            "page_url": lambda number: base + "?" + urlencode({**filters, "page": number}),
            **choices(),
        }, block="staff_rows")

    @get("/new", name="staff:new", opt=MANAGE)
    async def new(self, request: Request) -> Response:
        return render(request, "staff/new.html", {"form": Form(), **choices()})

    @post("/new", name="staff:create", opt=SENSITIVE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            staff_id, password = await services.create_staff(form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "staff/new.html", {"form": form, **choices()}, block="staff_form",
                          status_code=422)
        staff = await services.get_staff(staff_id)
        return render(request, "staff/temporary_password.html", {"staff": staff, "password": password,
                                                                 "created": True})

    @get("/{staff_id:int}", name="staff:detail", opt=MANAGE)
    async def detail(self, request: Request, staff_id: FromPath[int]) -> Response:
        return await detail_page(request, staff_id)

    @post("/{staff_id:int}", name="staff:update", opt=MANAGE, status_code=200)
    async def update(self, request: Request, staff_id: FromPath[int]) -> Response:
        staff = await require_staff(staff_id)
        form = await read_form(request)
        try:
            await services.update_staff(staff["id"], form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await detail_page(request, staff_id, form=form, status_code=422, block="staff_form")
        return await detail_page(request, staff_id, notice="Details saved.", block="staff_form")

    @post("/{staff_id:int}/role", name="staff:role", opt=SENSITIVE, status_code=200)
    async def role(self, request: Request, staff_id: FromPath[int]) -> Response:
        await require_staff(staff_id)
        form = await read_form(request)
        try:
            await services.change_role(staff_id, form.get("role"), actor_of(request))
        except LastAdministrator:
            return await detail_page(request, staff_id, error=LAST_ADMIN, status_code=409, block="staff_access")
        except Invalid as invalid:
            return await detail_page(request, staff_id, error=invalid.errors["role"], status_code=422, block="staff_access")
        return await detail_page(request, staff_id, notice="Role changed. Their open sessions have ended.", block="staff_access")

    @post("/{staff_id:int}/deactivate", name="staff:deactivate", opt=SENSITIVE, status_code=200)
    async def deactivate(self, request: Request, staff_id: FromPath[int]) -> Response:
        await require_staff(staff_id)
        try:
            await services.set_active(staff_id, False, actor_of(request))
        except LastAdministrator:
            return await detail_page(request, staff_id, error=LAST_ADMIN, status_code=409, block="staff_access")
        return await detail_page(request, staff_id, notice="Deactivated. They can no longer sign in.", block="staff_access")

    @post("/{staff_id:int}/reactivate", name="staff:reactivate", opt=SENSITIVE, status_code=200)
    async def reactivate(self, request: Request, staff_id: FromPath[int]) -> Response:
        await require_staff(staff_id)
        await services.set_active(staff_id, True, actor_of(request))
        return await detail_page(request, staff_id, notice="Reactivated.", block="staff_access")

    @post("/{staff_id:int}/reset-password", name="staff:reset_password", opt=SENSITIVE, status_code=200)
    async def reset_password(self, request: Request, staff_id: FromPath[int]) -> Response:
        staff = await require_staff(staff_id)
        password = await services.reset_password(staff_id, actor_of(request))
        return render(request, "staff/temporary_password.html", {"staff": staff, "password": password,
                                                                 "created": False})

    @post("/{staff_id:int}/reset-mfa", name="staff:reset_mfa", opt=SENSITIVE, status_code=200)
    async def reset_mfa(self, request: Request, staff_id: FromPath[int]) -> Response:
        await require_staff(staff_id)
        await services.reset_mfa(staff_id, actor_of(request))
        return await detail_page(request, staff_id, block="staff_access",
                                 notice="Two-step sign-in was reset. They will set it up again at next sign-in.")

    @post("/{staff_id:int}/unlock", name="staff:unlock", opt=MANAGE, status_code=200)
    async def unlock(self, request: Request, staff_id: FromPath[int]) -> Response:
        await require_staff(staff_id)
        await services.unlock(staff_id, actor_of(request))
        return await detail_page(request, staff_id, notice="Sign-in unlocked.", block="staff_access")

    @post("/{staff_id:int}/sessions/{session_id:int}/end", name="staff:end_session", opt=SENSITIVE,
          status_code=200)
    async def end_session(self, request: Request, staff_id: FromPath[int], session_id: FromPath[int]) -> Response:
        await require_staff(staff_id)
        live = await sessions.live_sessions(staff_id, request.app.state.session_policy)
        if session_id not in {row["id"] for row in live}:
            raise NotFoundException()
        await sessions.end(session_id, "ended by administrator")
        from clinic.audit.services import record

        await record("staff.session_end", actor_of(request), entity_type="staff", entity_id=staff_id,
                     detail=f"session {session_id}")
        return await detail_page(request, staff_id, notice="Session ended.", block="staff_sessions")


async def require_staff(staff_id: int) -> dict:
    staff = await services.get_staff(staff_id)
    if staff is None:
        raise NotFoundException()
    return staff


async def detail_page(request: Request, staff_id: int, *, form: Form | None = None, notice: str = "",
                      error: str = "", status_code: int = 200, block: str | None = None) -> Response:
    staff = await require_staff(staff_id)
    if form is None:
        form = Form(values={key: staff[key] for key in ("full_name", "display_name", "email", "colour", "licence_number")})
    return render(request, "staff/detail.html", {
        "staff": staff,
        "form": form,
        "role_values": Form(values={"role": staff["role"]}),
        "pause": await services.sign_in_pause(staff_id),
        "codes_left": await mfa.recovery_codes_left(staff_id) if staff["mfa_enabled"] else 0,
        "live_sessions": await sessions.live_sessions(staff_id, request.app.state.session_policy),
        "is_self": request.scope["user"].id == staff_id,
        **choices(),
    }, block=block, status_code=status_code, notice=notice, error=error)


class StaffRedirects(Controller):
    path = "/admin"

    @get(name="admin:index", opt=MANAGE)
    async def index(self, request: Request) -> Redirect:
        return Redirect(request.app.route_reverse("staff:list"), status_code=303)
