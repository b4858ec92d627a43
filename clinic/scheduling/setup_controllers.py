"""Setting up the appointment book (administrators): appointment types, rooms,
and each provider's colour, working hours and time off.

Under the clinic settings (/admin/clinic/book) so the "Clinic" navigation
item leads here too.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.scheduling import book_queries, setup
from clinic.scheduling.setup_forms import (
    BLOCKS_PER_DAY,
    COLOUR_FORM,
    ROOM_FORM,
    TIME_OFF_FORM,
    TYPE_FORM,
    WEEKDAYS,
)
from clinic.staff import services as staff_services
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

MANAGE = {"permission": "practice.manage"}


async def overview_context(request: Request, *, room_form: Form | None = None) -> dict:
    providers = await book_queries.providers(include_inactive=False)
    hours = await book_queries.hours_of([provider["id"] for provider in providers])
    return {"types": await setup.appointment_types(), "rooms": await setup.rooms(),
            "providers": providers, "hours": hours, "weekdays": WEEKDAYS, "minutes_text": setup.minutes_text,
            "room_form": room_form or Form(), "room_spec": ROOM_FORM}


async def type_context(form: Form, type_row: dict | None = None) -> dict:
    providers = await book_queries.providers(include_inactive=True)
    chosen = form.values.get("_providers")
    if chosen is None:
        chosen = [str(pid) for pid in (type_row["provider_ids"] if type_row else [])]
    return {"form": form, "spec": TYPE_FORM, "type_row": type_row, "providers": providers, "chosen": chosen}


async def provider_context(request: Request, provider: dict, *, hours_form: Form | None = None,
                           time_off_form: Form | None = None, colour_form: Form | None = None) -> dict:
    locale = locale_of(request)
    if hours_form is None:
        hours_form = Form(values=setup.hours_form_values(await setup.working_hours(provider["id"])))
    return {"provider": provider, "hours_form": hours_form, "weekdays": WEEKDAYS, "blocks": range(BLOCKS_PER_DAY),
            "time_off": await setup.time_off(provider["id"], ending_after=locale.day_bounds(locale.today())[0]),
            "time_off_form": time_off_form or Form(), "time_off_spec": TIME_OFF_FORM,
            "colour_form": colour_form or Form(values={"colour": provider["colour"] or ""}),
            "colour_spec": COLOUR_FORM}


async def provider_or_404(provider_id: int) -> dict:
    provider = await book_queries.provider(provider_id)
    if provider is None:
        raise NotFoundException()
    return provider


async def read_type_form(request: Request) -> tuple[Form, list[str]]:
    data = await request.form()
    chosen = [value for value in data.getall("providers") if isinstance(value, str)] if "providers" in data else []
    form = await read_form(request)
    form.values.pop("providers", None)
    form.values["_providers"] = chosen
    return form, chosen


class BookSetupController(Controller):
    path = "/admin/clinic/book"

    @get(name="scheduling:setup", opt=MANAGE)
    async def overview(self, request: Request) -> Response:
        return render(request, "scheduling/setup.html", await overview_context(request))

    @get("/types/new", name="scheduling:type_new", opt=MANAGE)
    async def new_type(self, request: Request) -> Response:
        form = Form(values=setup.type_form_values(None))
        return render(request, "scheduling/type_form.html", await type_context(form))

    @post("/types/new", name="scheduling:type_create", opt=MANAGE, status_code=200)
    async def create_type(self, request: Request) -> Response:
        form, chosen = await read_type_form(request)
        try:
            await setup.save_type(form.values, chosen, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "scheduling/type_form.html", await type_context(form), block="type_form",
                          status_code=422)
        return navigate(request, request.app.route_reverse("scheduling:setup"),
                        notice="Appointment type added.")

    @get("/types/{type_id:int}", name="scheduling:type_edit", opt=MANAGE)
    async def edit_type(self, request: Request, type_id: FromPath[int]) -> Response:
        try:
            row = await setup.appointment_type(type_id)
        except setup.NotFound:
            raise NotFoundException() from None
        form = Form(values=setup.type_form_values(row))
        return render(request, "scheduling/type_form.html", await type_context(form, row))

    @post("/types/{type_id:int}", name="scheduling:type_update", opt=MANAGE, status_code=200)
    async def update_type(self, request: Request, type_id: FromPath[int]) -> Response:
        try:
            row = await setup.appointment_type(type_id)
        except setup.NotFound:
            raise NotFoundException() from None
        form, chosen = await read_type_form(request)
        try:
            await setup.save_type(form.values, chosen, actor_of(request), type_id=type_id)
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "scheduling/type_form.html", await type_context(form, row), block="type_form",
                          status_code=422)
        return navigate(request, request.app.route_reverse("scheduling:setup"),
                        notice="Appointment type saved.")

    @post("/rooms", name="scheduling:room_add", opt=MANAGE, status_code=200)
    async def add_room(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            await setup.add_room(form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "scheduling/setup.html", await overview_context(request, room_form=form),
                          block="rooms", status_code=422)
        return render(request, "scheduling/setup.html", await overview_context(request), block="rooms",
                      notice="Room added.")

    @post("/rooms/{room_id:int}/retire", name="scheduling:room_retire", opt=MANAGE, status_code=200)
    async def retire_room(self, request: Request, room_id: FromPath[int]) -> Response:
        return await self._room_active(request, room_id, False, "Room retired: it is no longer offered.")

    @post("/rooms/{room_id:int}/restore", name="scheduling:room_restore", opt=MANAGE, status_code=200)
    async def restore_room(self, request: Request, room_id: FromPath[int]) -> Response:
        return await self._room_active(request, room_id, True, "Room offered again.")

    async def _room_active(self, request: Request, room_id: int, active: bool, notice: str) -> Response:
        try:
            await setup.set_room_active(room_id, active, actor_of(request))
        except setup.NotFound:
            raise NotFoundException() from None
        return render(request, "scheduling/setup.html", await overview_context(request), block="rooms",
                      notice=notice)

    @get("/providers/{provider_id:int}", name="scheduling:provider", opt=MANAGE)
    async def provider(self, request: Request, provider_id: FromPath[int]) -> Response:
        provider = await provider_or_404(provider_id)
        return render(request, "scheduling/provider.html", await provider_context(request, provider))

    @post("/providers/{provider_id:int}/hours", name="scheduling:hours_save", opt=MANAGE, status_code=200)
    async def save_hours(self, request: Request, provider_id: FromPath[int]) -> Response:
        provider = await provider_or_404(provider_id)
        form = await read_form(request)
        try:
            await setup.save_working_hours(provider_id, form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "scheduling/provider.html",
                          await provider_context(request, provider, hours_form=form), block="hours",
                          status_code=422)
        return render(request, "scheduling/provider.html", await provider_context(request, provider),
                      block="hours", notice=f"Working hours saved for {provider['name']}.")

    @post("/providers/{provider_id:int}/colour", name="scheduling:colour_save", opt=MANAGE, status_code=200)
    async def save_colour(self, request: Request, provider_id: FromPath[int]) -> Response:
        provider = await provider_or_404(provider_id)
        form = await read_form(request)
        try:
            await staff_services.set_colour(provider_id, form.get("colour"), actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "scheduling/provider.html",
                          await provider_context(request, provider, colour_form=form), block="colour",
                          status_code=422)
        provider = await provider_or_404(provider_id)
        return render(request, "scheduling/provider.html", await provider_context(request, provider),
                      block="colour", notice="Colour saved.")

    @post("/providers/{provider_id:int}/time-off", name="scheduling:time_off_add", opt=MANAGE, status_code=200)
    async def add_time_off(self, request: Request, provider_id: FromPath[int]) -> Response:
        provider = await provider_or_404(provider_id)
        form = await read_form(request)
        locale = locale_of(request)
        try:
            await setup.add_time_off(provider_id, form.values, locale.reading, locale, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "scheduling/provider.html",
                          await provider_context(request, provider, time_off_form=form), block="time_off",
                          status_code=422)
        return render(request, "scheduling/provider.html", await provider_context(request, provider),
                      block="time_off", notice="Time off added.")

    @post("/providers/{provider_id:int}/time-off/{time_off_id:int}/remove", name="scheduling:time_off_remove",
          opt=MANAGE, status_code=200)
    async def remove_time_off(self, request: Request, provider_id: FromPath[int],
                              time_off_id: FromPath[int]) -> Response:
        provider = await provider_or_404(provider_id)
        try:
            await setup.remove_time_off(provider_id, time_off_id, actor_of(request))
        except setup.NotFound:
            raise NotFoundException() from None
        return render(request, "scheduling/provider.html", await provider_context(request, provider),
                      block="time_off", notice="Time off removed.")
