"""System: background jobs for administrators, what failed for good and what ran lately."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.audit.services import record
from clinic.core import jobs
from clinic.web.actors import actor_of
from clinic.web.pages import render

MANAGE = {"permission": "system.manage"}
LISTED = 50


class JobsController(Controller):
    path = "/admin/jobs"

    @get("/", name="ops:jobs", opt=MANAGE)
    async def jobs_page(self, request: Request) -> Response:
        return await jobs_screen(request)

    @post("/{job_id:int}/retry", name="ops:job_retry", opt=MANAGE, status_code=200)
    async def retry(self, request: Request, job_id: FromPath[int]) -> Response:
        job = await jobs.find_job(job_id)
        if job is None:
            raise NotFoundException()
        async with jobs.Job._meta.db.transaction():
            retried = await jobs.retry(job_id)
            if retried:
                await record("job.retry", actor_of(request), entity_type="job", entity_id=job_id, detail=job["kind"])
        if not retried:
            return await jobs_screen(request, status_code=409,
                                     error=f"Job #{job_id} is {job['state']}: only failed jobs can be retried.")
        jobs.wake_workers()
        return await jobs_screen(request, notice=f"Job #{job_id} will run again shortly.")


async def jobs_screen(request: Request, *, notice: str = "", error: str = "", status_code: int = 200) -> Response:
    registry = request.app.state.jobs
    return render(request, "ops/jobs.html", {
        "health": await jobs.queue_health(),
        "dead": await jobs.dead_jobs(limit=LISTED),
        "recent": await jobs.recent_jobs(limit=LISTED),
        "label": registry.label,
        "inline_worker": request.app.state.settings.worker == "inline",
    }, block="job_lists", status_code=status_code, notice=notice, error=error)
