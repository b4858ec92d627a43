"""The clinic settings screen: profile, time zone and currency, opening hours, closures."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.core.errors import Invalid
from clinic.core.forms import Form, Reading, parse_integer
from clinic.practice import services
from clinic.practice.forms import CLOSURE_FORM, PROFILE_FORM, WEEKDAYS
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import render

MANAGE = {"permission": "practice.manage"}


class PracticeController(Controller):
    path = "/admin/clinic"

    @get(name="practice:settings", opt=MANAGE)
    async def settings(self, request: Request) -> Response:
        return render(request, "practice/settings.html", await page_context(request))

    @post(name="practice:update", opt=MANAGE, status_code=200)
    async def update(self, request: Request) -> Response:
        form = await read_form(request)
        version = parse_integer(form.get("version"), minimum=1) or -1  # anything else is stale
        try:
            await services.update_practice(form.values, version, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "practice/settings.html", await page_context(request, form=form),
                          block="practice_form", status_code=422)
        except services.EditConflict:
            current = await services.practice()
            form.values["version"] = str(current.version)
            form.errors = {"_conflict": "Someone else saved the clinic settings while you were editing. Your "
                                        "changes are still in the form: check them and save again."}
            return render(request, "practice/settings.html", await page_context(request, form=form),
                          block="practice_form", status_code=409)
        await refresh(request)
        return render(request, "practice/settings.html", await page_context(request), block="practice_form",
                      notice="Clinic settings saved.")

    @post("/closures", name="practice:closure_add", opt=MANAGE, status_code=200)
    async def add_closure(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            await services.add_closure(form.values, reading(request), actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "practice/settings.html", await page_context(request, closure_form=form),
                          block="closures", status_code=422)
        return render(request, "practice/settings.html", await page_context(request), block="closures",
                      notice="Closure added.")

    @post("/closures/{closure_id:int}/remove", name="practice:closure_remove", opt=MANAGE, status_code=200)
    async def remove_closure(self, request: Request, closure_id: FromPath[int]) -> Response:
        if not await services.remove_closure(closure_id, actor_of(request)):
            raise NotFoundException()
        return render(request, "practice/settings.html", await page_context(request), block="closures",
                      notice="Closure removed.")


def reading(request: Request) -> Reading:
    return locale_of(request).reading


async def page_context(request: Request, *, form: Form | None = None, closure_form: Form | None = None) -> dict:
    """Everything the page shows: a fragment uses its part, a plain form post gets the whole page."""
    if form is None:
        form = Form(values=services.form_values(await services.practice()))
    return {"form": form, "spec": PROFILE_FORM, "weekdays": WEEKDAYS, "blocks": range(services.BLOCKS_PER_DAY),
            "closures": await services.closures(upcoming_from=locale_of(request).today()),
            "closure_form": closure_form or Form(), "closure_spec": CLOSURE_FORM}


async def refresh(request: Request) -> None:
    """Put the clinic's current name and locale into the app's state (see app.py)."""
    state = request.app.state
    current = await services.practice(defaults=state.practice_defaults)
    state.clinic_name = current.name
    state.clinic_contact = " · ".join([*current.address, current.phone] if current.phone else current.address)
    state.locale = current.locale(state.base_locale)
