"""System → Export: the whole clinic's data for an administrator, confirmed with their password
(and code), written in the background with its progress shown, downloaded once ready."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from clinic.accounts.forms import CONFIRM_FORM
from clinic.accounts.services import confirm_identity
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.core.jobs import find_job
from clinic.exports import services
from clinic.exports.tables import QUEUED, RUNNING
from clinic.web.actors import actor_of
from clinic.web.forms import read_form, without_secrets
from clinic.web.pages import navigate, render

# Whole-clinic data, like a backup: for those who manage the system (administrators).
MANAGE = {"permission": "system.manage"}


class ExportsController(Controller):
    path = "/admin/exports"

    @get("/", name="exports:page", opt=MANAGE)
    async def page(self, request: Request) -> Response:
        return await export_page(request, Form())

    @post("/", name="exports:start", opt=MANAGE, status_code=200)
    async def start(self, request: Request) -> Response:
        user = request.scope["user"]
        form = await read_form(request)
        actor = actor_of(request)
        try:
            await confirm_identity(user.id, form.values.get("password", ""), form.values.get("code", ""),
                                   request.app.state.settings.keyring, actor)
        except Invalid as invalid:
            form.errors = invalid.errors
            return await export_page(request, without_secrets(form), status_code=422)
        export_id = await services.start_export(actor)
        return navigate(request, request.app.route_reverse("exports:status", export_id=export_id),
                        notice="The export has started.")

    @get("/{export_id:int}", name="exports:status", opt=MANAGE)
    async def status(self, request: Request, export_id: FromPath[int]) -> Response:
        export = await services.get_export(export_id)
        if export is None:
            raise NotFoundException()
        job = await find_job(export["job_id"]) if export["job_id"] else None
        return render(request, "exports/status.html", {
            "export": export, "job": job, "files": services.manifest_of(export), "now": clock.now(),
            "working": export["state"] in (QUEUED, RUNNING),
            "mine": export["requested_by"] == request.scope["user"].id,
        }, block="export_progress")

    @get("/{export_id:int}/download", name="exports:download", opt=MANAGE)
    async def download(self, request: Request, export_id: FromPath[int]) -> Response:
        found = await services.download(export_id, actor_of(request))
        if found.path is None:
            return render(request, "exports/refused.html", {"reason": found.refusal, "export_id": export_id},
                          status_code=found.status_code)
        return File(path=found.path, filename=f"clinic-export-{export_id}.zip", media_type="application/zip",
                    headers={"Cache-Control": "no-store"})


async def export_page(request: Request, form: Form, *, status_code: int = 200) -> Response:
    return render(request, "exports/page.html", {
        "form": form, "spec": CONFIRM_FORM, "exports": await services.recent_exports(), "now": clock.now(),
        "lifetime_minutes": int(services.LINK_LIFETIME.total_seconds() // 60),
    }, block="export_form", status_code=status_code)
