"""My day: a signed-in provider's own appointments today and tomorrow, small
enough for a phone on a poor connection, with arrived/completed buttons."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException

from clinic.core.errors import Invalid
from clinic.core.forms import parse_integer
from clinic.patients.access import shown_patients
from clinic.scheduling import services
from clinic.scheduling.day_sheets import MY_DAY, remember_my_day
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import render

# What the buttons may do here; everything else is on the book.
NEXT_STEP = {"booked": "arrived", "confirmed": "arrived", "arrived": "completed", "in_progress": "completed"}
STEP_LABELS = {"arrived": "Arrived", "completed": "Completed"}


class MyDayController(Controller):
    path = "/my-day"

    # While the database is down this answers with the day sheet this session last saw (clinic/web/degraded.py).
    @get(name="scheduling:my_day", opt={"permission": "appointments.read", "day_sheet": MY_DAY})
    async def show(self, request: Request) -> Response:
        context = await my_day(request)
        remember_my_day(request, context)
        return render(request, "scheduling/my_day.html", context, block="my_day")

    @post(name="scheduling:my_day_status", opt={"permission": "appointments.write"}, status_code=200)
    async def step(self, request: Request) -> Response:
        """A button press: ``step`` is "<appointment id>.<revision>.<arrived|completed>"."""
        user = request.scope["user"]
        form = await read_form(request)
        parts = form.get("step").split(".")
        if len(parts) != 3 or parts[2] not in STEP_LABELS:
            raise NotFoundException()
        appointment_id = parse_integer(parts[0], minimum=1, maximum=2**31 - 1)
        revision = parse_integer(parts[1], minimum=1, maximum=2**31 - 1)
        if appointment_id is None or revision is None:
            raise NotFoundException()
        try:
            appointment = await services.get_appointment(appointment_id)
        except services.AppointmentNotFound:
            raise NotFoundException() from None
        if appointment["provider"] != user.id:
            raise NotFoundException()  # "my day" changes only the signed-in provider's own appointments
        status, problem, notice = parts[2], "", ""
        try:
            await services.set_status(appointment_id, revision, status, actor_of(request), locale_of(request))
            notice = f"Marked {STEP_LABELS[status].lower()}."
        except services.AppointmentChanged:
            problem = "Someone changed this appointment a moment ago: here it is as it is now."
        except Invalid as invalid:
            problem = " ".join(invalid.errors.values())
        context = await my_day(request, problem=problem, problem_id=appointment_id if problem else None)
        return render(request, "scheduling/my_day.html", context, block="my_day", notice=notice,
                      status_code=409 if problem else 200)


async def my_day(request: Request, *, problem: str = "", problem_id: int | None = None) -> dict:
    locale = locale_of(request)
    today = locale.today()
    tomorrow = today + dt.timedelta(days=1)
    start = locale.day_bounds(today)[0]
    end = locale.day_bounds(tomorrow)[1]
    entries = [entry for entry in await services.appointments_between(
        start, end, provider_ids=[request.scope["user"].id], include_cancelled=True) if entry.status != "cancelled"]
    await shown_patients(request, [entry.patient_id for entry in entries], "my day")
    days = [(day, [entry for entry in entries if locale.local(entry.starts_at).date() == day])
            for day in (today, tomorrow)]
    return {"days": days, "today": today, "next_step": NEXT_STEP, "step_labels": STEP_LABELS, "problem": problem,
            "problem_id": problem_id}
