"""Booking a repeating series, and changing one occurrence, this and the
following ones, or the whole series from an appointment's page.

The series form is the booking form with a "Repeat" part: "Preview dates"
lists every date and what stands in its way; "Book series" books all of them
or none; when some dates conflict it names each one and why, and offers to
book the others (or the user adjusts and tries again). The form carries an
idempotency token like the booking form: sent twice, it books one series.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from clinic.core.errors import Invalid
from clinic.core.forms import Field, Form, FormSpec, parse_integer
from clinic.patients.access import PATIENT_ACCESS, PatientAccess, shown_patients
from clinic.scheduling import book_forms, book_queries, series, series_forms, setup
from clinic.scheduling.appointment_controllers import CHANGED, prefilled
from clinic.scheduling.booking import AppointmentChanged, AppointmentNotFound, BookingRefused
from clinic.scheduling.patient_pick import access_patient, chosen_patient, find_patients
from clinic.scheduling.services import get_appointment
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

READ = {"permission": "appointments.read"}
WRITE = {"permission": "appointments.write"}
SCOPE_CHOICES = (("one", "This appointment only"), ("following", "This and the following ones"),
                 ("all", "The whole series (every one still to come)"))
SCOPE_FIELD = Field("scope", "Which appointments", kind="radio", required=True, choices=SCOPE_CHOICES, wide=True,
                    missing="Choose this appointment, this and following, or the whole series.")
SERIES_CANCEL_FORM = FormSpec((SCOPE_FIELD, *book_forms.CANCEL_FORM))
SERIES_MOVE_FORM = FormSpec((SCOPE_FIELD, *(item for item in book_forms.MOVE_FORM
                                            if item.name not in ("provider_id", "room_id", "overbook",
                                                                 "overbook_reason"))))


async def series_context(request: Request, form: Form, *, patient: dict | None = None, hits=None,
                         dates=None, refused: bool = False) -> dict:
    types = await setup.appointment_types(active_only=True)
    spec = book_forms.with_choices(series_forms.SERIES_BOOKING_FORM, await book_queries.providers(), types,
                                   await setup.rooms(active_only=True))
    free = [date for date in dates or [] if date.free]
    return {"form": form, "spec": spec, "repeat_spec": series_forms.REPEAT_FORM, "types": types, "patient": patient,
            "hits": hits, "dates": dates, "refused": refused, "free_count": len(free),
            "conflict_count": len(dates or []) - len(free)}


class SeriesController(Controller):
    path = "/appointments/series"

    @get("/new", name="series:new", opt=WRITE)
    async def new(self, request: Request, provider: FromQuery[str] = "", day: FromQuery[str] = "",
                  time: FromQuery[str] = "") -> Response:
        form = await prefilled(request, provider, day, time)
        form.values.update(series_forms.repeat_defaults())
        return render(request, "scheduling/series.html", await series_context(request, form))

    @get("/new/patient/{patient_id:int}", name="series:new_for_patient",
         opt={**WRITE, "shows": "series booking form"}, dependencies=PATIENT_ACCESS)
    async def new_for_patient(self, request: Request, access: NamedDependency[PatientAccess],
                              provider: FromQuery[str] = "", day: FromQuery[str] = "",
                              time: FromQuery[str] = "") -> Response:
        form = await prefilled(request, provider, day, time)
        form.values.update(series_forms.repeat_defaults())
        form.values["patient_id"] = str(access.patient_id)
        return render(request, "scheduling/series.html",
                      await series_context(request, form, patient=access_patient(access)))

    @post("/new", name="series:create", opt=WRITE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        patient = await chosen_patient(request, form.get("patient_id"), "series booking form")
        if form.get("find"):
            hits = await find_patients(request, form.get("patient_q"), "series booking form search")
            return render(request, "scheduling/series.html",
                          await series_context(request, form, patient=patient, hits=hits))
        action = form.get("action") or "book"
        dates = None
        refused = False
        try:
            booking, rule = series_forms.read_series(form.values, locale)
            if action == "preview":
                dates = await series_forms.planned_dates(booking, rule, locale)
                return render(request, "scheduling/series.html",
                              await series_context(request, form, patient=patient, dates=dates),
                              block="series_form")
            result = await series.book_series(booking, rule, actor_of(request), locale,
                                              skip_conflicts=action == "book_free")
        except series.SeriesRefused as refusal:
            dates = series_forms.refused_dates(series.preview(booking, rule, locale), booking.minutes, refusal)
            refused = True
            form.errors = {"_conflict": f"{len(refusal.dates)} of the {len(dates)} dates are not free."}
        except BookingRefused as refusal:  # pragma: no cover - book_series raises SeriesRefused
            form.errors = {"_conflict": " ".join(c.message for c in refusal.conflicts)}
        except Invalid as invalid:
            form.errors = {("time" if name == "starts_at" else name): text for name, text in invalid.errors.items()}
            if "_token" in form.errors:
                form.values["token"] = book_forms.new_token()
        else:
            if not result.appointment_ids:
                form.errors = {"_conflict": "None of the dates is free."}
            else:
                notice = f"Series booked: {len(result.appointment_ids)} appointments."
                if result.skipped:
                    notice += " Not booked (not free): " + ", ".join(
                        locale.format_date(date.day) for date in result.skipped) + "."
                return navigate(request, request.app.route_reverse("book:detail",
                                                                   appointment_id=result.appointment_ids[0]),
                                notice=notice)
        return render(request, "scheduling/series.html",
                      await series_context(request, form, patient=patient, dates=dates, refused=refused),
                      block="series_form", status_code=409 if refused else 422)


class OccurrenceController(Controller):
    """Cancel or move an occurrence with a scope; answers with the appointment page."""

    path = "/appointments/{appointment_id:int}/series"

    async def _page(self, request: Request, appointment_id: int, *, notice: str = "", error: str = "",
                    status_code: int = 200, **forms) -> Response:
        from clinic.scheduling.appointment_controllers import detail_context

        context = await detail_context(request, appointment_id)
        context.update({name: value for name, value in forms.items()})
        await shown_patients(request, [context["appointment"]["patient"]], f"appointment {appointment_id}")
        if not request.htmx and not error and not forms:
            return navigate(request, request.app.route_reverse("book:detail", appointment_id=appointment_id),
                            notice=notice)
        return render(request, "scheduling/appointment.html", context, block="appointment", notice=notice,
                      error=error, status_code=status_code)

    @post("/cancel", name="series:cancel", opt=WRITE, status_code=200)
    async def cancel(self, request: Request, appointment_id: FromPath[int]) -> Response:
        form = await read_form(request)
        revision = parse_integer(form.get("revision"), minimum=1) or -1
        scope = form.get("scope")
        try:
            ids = await series.cancel_in_series(appointment_id, scope, form.get("cancel_reason"), actor_of(request),
                                                locale_of(request), revision=revision)
        except AppointmentNotFound:
            raise NotFoundException() from None
        except AppointmentChanged:
            return await self._page(request, appointment_id, error=CHANGED, status_code=409)
        except Invalid as invalid:
            form.errors = dict(invalid.errors)
            message = invalid.errors.get("status") or "Nothing was cancelled: check the highlighted fields."
            return await self._page(request, appointment_id, error=message, status_code=422,
                                    series_cancel_form=form)
        return await self._page(request, appointment_id, notice=f"Cancelled {len(ids)} appointment(s).")

    @post("/move", name="series:move", opt=WRITE, status_code=200)
    async def move(self, request: Request, appointment_id: FromPath[int]) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        revision = parse_integer(form.get("revision"), minimum=1) or -1
        try:
            row = await get_appointment(appointment_id)
        except AppointmentNotFound:
            raise NotFoundException() from None
        try:
            values = {**form.values, "provider_id": str(row["provider"]), "room_id": str(row["room"] or "")}
            wanted = book_forms.read_move(book_forms.MOVE_FORM, values, locale.reading, locale)
            scope = form.get("scope")
            ids = await series.move_in_series(appointment_id, scope, starts_at=wanted.starts_at,
                                              minutes=wanted.minutes, actor=actor_of(request), locale=locale,
                                              revision=revision)
        except AppointmentChanged:
            return await self._page(request, appointment_id, error=CHANGED, status_code=409)
        except series.SeriesRefused as refusal:
            form.errors = {"_conflict": refusal.errors["starts_at"]}
            return await self._page(request, appointment_id, error="Nothing was moved: " + refusal.errors["starts_at"],
                                    status_code=409, series_move_form=form)
        except BookingRefused as refusal:
            message = " ".join(c.message for c in refusal.conflicts)
            form.errors = {"_conflict": message}
            return await self._page(request, appointment_id, error="Nothing was moved: " + message, status_code=409,
                                    series_move_form=form)
        except Invalid as invalid:
            form.errors = {("time" if name == "starts_at" else name): text for name, text in invalid.errors.items()}
            return await self._page(request, appointment_id, status_code=422, series_move_form=form,
                                    error="Nothing was moved: check the highlighted fields.")
        return await self._page(request, appointment_id, notice=f"Moved {len(ids)} appointment(s).")
