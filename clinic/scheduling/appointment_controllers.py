"""Booking an appointment, and one appointment's page: move, change its length,
cancel with a reason, move it along its statuses, and its history.

The booking form comes from an empty slot of the book (provider, day and time
in the query: no patient data), from a chart or a search result
(/appointments/new/patient/3, from a visit's follow-up also with the visit's
provider and a day N weeks ahead) or from nothing. It carries an idempotency
token: sent twice (a double click, a retried request), it books once. A
conflict comes back inline naming the other appointment; overbooking takes
an explicit choice and a reason.
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from clinic.core.errors import Invalid
from clinic.core.forms import Form, clean, parse_integer
from clinic.patients import services as patients
from clinic.patients.access import PATIENT_ACCESS, PatientAccess, shown_patients
from clinic.patients.search import search_patients
from clinic.practice import services as practice
from clinic.scheduling import book_forms, book_queries, setup
from clinic.scheduling.book_controllers import book_context_for, parse_day
from clinic.scheduling.booking import (
    AppointmentChanged,
    AppointmentNotFound,
    BookingRefused,
    book,
    cancel,
    move,
    set_status,
)
from clinic.scheduling.rules import STATUS_LABELS, TRANSITIONS, describe_rule
from clinic.scheduling.services import get_appointment, history
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

READ = {"permission": "appointments.read"}
WRITE = {"permission": "appointments.write"}
STATUS_BUTTONS = {"confirmed": "Confirmed", "arrived": "Arrived", "in_progress": "Start (in progress)",
                  "completed": "Completed", "no_show": "No-show", "booked": "Back to booked"}
CHANGED = ("Someone changed this appointment while you were looking at it. It is shown as it is now: "
           "check it and try again.")


async def form_context(request: Request, form: Form, *, patient: dict | None = None, hits=None,
                       conflicts=None) -> dict:
    types = await setup.appointment_types(active_only=True)
    spec = book_forms.with_choices(book_forms.BOOKING_FORM, await book_queries.providers(), types,
                                   await setup.rooms(active_only=True))
    return {"form": form, "spec": spec, "types": types, "patient": patient, "hits": hits, "conflicts": conflicts or [],
            "date_hint": locale_of(request).date_hint}


async def prefilled(request: Request, provider: str = "", day: str = "", time: str = "") -> Form:
    locale = locale_of(request)
    values = {"token": book_forms.new_token(), "minutes": str((await practice.practice()).appointment_minutes),
              "day": locale.today().isoformat()}
    if provider.isdigit():
        values["provider_id"] = provider
    try:
        values["day"] = parse_day(day).isoformat() if day else values["day"]
    except NotFoundException:
        pass
    try:
        values["time"] = dt.time.fromisoformat(time).strftime("%H:%M") if time and len(time) == 5 else ""
    except ValueError:
        values["time"] = ""
    return Form(values=values)


async def patient_named(patient_id_text: str) -> dict | None:
    """The patient the form has chosen (to show the name beside the hidden id)."""
    patient_id = parse_integer(patient_id_text or "", minimum=1, maximum=2**31 - 1)
    if patient_id is None:
        return None
    try:
        row = await patients.get_patient(patient_id)
    except patients.PatientNotFound:
        return None
    return {"id": row["id"], "name": f"{row['last_name']}, {row['first_name']}",
            "date_of_birth": row["date_of_birth"], "mrn": row["mrn"]}


async def detail_context(request: Request, appointment_id: int, *, move_form: Form | None = None,
                         cancel_form: Form | None = None, conflicts=None, status_error: str = "") -> dict:
    try:
        row = await get_appointment(appointment_id)
    except AppointmentNotFound:
        raise NotFoundException() from None
    locale = locale_of(request)
    providers = await book_queries.providers(include_inactive=True)
    rooms = await setup.rooms()
    if move_form is None:
        local = locale.local(row["starts_at"])
        move_form = Form(values={"day": local.date().isoformat(), "time": local.strftime("%H:%M"),
                                 "minutes": str(row["minutes"]), "provider_id": str(row["provider"]),
                                 "room_id": str(row["room"] or "")})
    move_spec = book_forms.with_choices(book_forms.MOVE_FORM, [p for p in providers if p["active"]
                                                                or p["id"] == row["provider"]], None,
                                        [r for r in rooms if r["active"] or r["id"] == row["room"]])
    names = {"provider": {p["id"]: p["name"] for p in providers}, "room": {r["id"]: r["name"] for r in rooms}}
    types = {t["id"]: t["name"] for t in await setup.appointment_types()}
    names["type"] = types
    changes = [describe_change(change, names, locale) for change in await history(appointment_id)]
    eligibility_flag = ""
    if row["status"] not in ("cancelled", "no_show") and request.scope["user"].can("insurance.read"):
        # At arrival front desk sees whether the patient's insurance needs checking again.
        from clinic.claims.payers import arrival_flags

        eligibility_flag = (await arrival_flags([row["patient"]], locale.today())).get(row["patient"], "")
    return {"appointment": row, "eligibility_flag": eligibility_flag, "move_form": move_form, "move_spec": move_spec,
            "series_text": describe_rule(row["series_rule"]) if row.get("series_rule") else "",
            "cancel_form": cancel_form or Form(), "cancel_spec": book_forms.CANCEL_FORM,
            "status_label": STATUS_LABELS.get(row["status"], row["status"]),
            "next_statuses": [(status, STATUS_BUTTONS[status]) for status in ("confirmed", "arrived", "in_progress",
                                                                              "completed", "no_show", "booked")
                              if status in TRANSITIONS.get(row["status"], ())],
            "movable": row["status"] in ("booked", "confirmed"), "changes": changes, "conflicts": conflicts or [],
            "status_error": status_error}


FIELD_LABELS = {"starts_at": "Starts", "ends_at": "Ends", "provider": "Provider", "room": "Room", "type": "Type",
                "status": "Status", "notes": "Notes", "cancel_reason": "Cancel reason", "late_cancel": "Late cancel",
                "overbook_reason": "Overbooked because", "overbooked": "Overbooked"}


def describe_change(change: dict, names: dict, locale) -> dict:
    """One history entry in words: field, before → after."""

    def shown(name: str, value) -> str:
        if value in (None, ""):
            return "—"
        if name in ("starts_at", "ends_at") and isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            return f"{locale.format_date(moment)} {locale.format_time(moment)}"
        if name in names and isinstance(value, int):
            return names[name].get(value, f"#{value}")
        if name == "status":
            return STATUS_LABELS.get(value, value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    before, after = change["before"], change["after"]
    fields = [(FIELD_LABELS.get(name, name), shown(name, before.get(name)) if before else "",
               shown(name, after.get(name))) for name in sorted(set(before) | set(after))
              if not (not before and after.get(name) in (None, "", False))]
    return {"what": change["what"], "at": change["changed_at"], "who": change["staff_name"] or "Patient / system",
            "fields": fields}


def conflict_errors(form: Form, refused: BookingRefused) -> list:
    form.errors = {"_conflict": "This time is not free."}
    return refused.conflicts


class AppointmentController(Controller):
    path = "/appointments"

    @get("/new", name="book:new", opt=WRITE)
    async def new(self, request: Request, provider: FromQuery[str] = "", day: FromQuery[str] = "",
                  time: FromQuery[str] = "") -> Response:
        return render(request, "scheduling/booking.html",
                      await form_context(request, await prefilled(request, provider, day, time)))

    @get("/new/patient/{patient_id:int}", name="book:new_for_patient", opt={**WRITE, "shows": "booking form"},
         dependencies=PATIENT_ACCESS)
    async def new_for_patient(self, request: Request, access: NamedDependency[PatientAccess],
                              provider: FromQuery[str] = "", day: FromQuery[str] = "",
                              time: FromQuery[str] = "") -> Response:
        """From a chart, a search result or a visit's follow-up (provider and day in the query, as from the book)."""
        form = await prefilled(request, provider, day, time)
        form.values["patient_id"] = str(access.patient_id)
        patient = {"id": access.patient_id, "name": f"{access.patient['last_name']}, {access.patient['first_name']}",
                   "date_of_birth": access.patient["date_of_birth"], "mrn": access.patient["mrn"]}
        return render(request, "scheduling/booking.html", await form_context(request, form, patient=patient))

    @post("/patients", name="book:find_patient", opt=WRITE, status_code=200)
    async def find_patient(self, request: Request) -> Response:
        """The booking form's inline patient search (POST: what was typed stays out of URLs and logs)."""
        form = await read_form(request)
        hits = await self._search(request, form.get("patient_q"))
        return render(request, "scheduling/booking.html", await form_context(request, form, hits=hits),
                      block="patient_choices")

    async def _search(self, request: Request, text: str) -> list | None:
        text = text[:100]
        if len(text.strip()) < 2:
            return None
        settings = request.app.state.settings
        hits = await search_patients(text, date_order=settings.date_order, today=locale_of(request).today(),
                                     country=settings.country)
        hits = [hit for hit in hits if not hit.archived]
        await shown_patients(request, [hit.id for hit in hits], "booking form search")
        return hits

    @post("/new", name="book:create", opt=WRITE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        patient = await patient_named(form.get("patient_id"))
        if form.get("find"):  # the form without JavaScript: find the patient, book nothing yet
            hits = await self._search(request, form.get("patient_q"))
            return render(request, "scheduling/booking.html",
                          await form_context(request, form, patient=patient, hits=hits))
        conflicts = None
        try:
            booking = book_forms.read_booking(book_forms.BOOKING_FORM, form.values, locale.reading, locale)
            appointment_id = await book(booking, actor_of(request), locale)
        except BookingRefused as refused:
            conflicts = conflict_errors(form, refused)
        except Invalid as invalid:
            form.errors = {("time" if name == "starts_at" else name): text for name, text in invalid.errors.items()}
            if "idempotency_token" in form.errors or "_token" in form.errors:
                form.values["token"] = book_forms.new_token()
                form.errors.pop("idempotency_token", None)
                form.errors["_token"] = "This form had expired: check it and book again."
        else:
            row = await get_appointment(appointment_id)
            day = locale.local(row["starts_at"]).date()
            return navigate(request, request.app.route_reverse("book:day", day=day.isoformat()),
                            notice=f"Booked for {locale.format_date(row['starts_at'])} at "
                                   f"{locale.format_time(row['starts_at'])}.")
        if patient:
            await shown_patients(request, [patient["id"]], "booking form")
        return render(request, "scheduling/booking.html",
                      await form_context(request, form, patient=patient, conflicts=conflicts),
                      block="booking_form", status_code=409 if conflicts else 422)

    @get("/{appointment_id:int}", name="book:detail", opt=READ)
    async def detail(self, request: Request, appointment_id: FromPath[int]) -> Response:
        context = await detail_context(request, appointment_id)
        await shown_patients(request, [context["appointment"]["patient"]], f"appointment {appointment_id}")
        return render(request, "scheduling/appointment.html", context, block="appointment")

    async def _after_change(self, request: Request, appointment_id: int, notice: str, form: Form) -> Response:
        return_to = form.get("return_to")
        if return_to and request.htmx:
            context = await book_context_for(request, return_to)
            return render(request, "scheduling/book.html", context, block="book", notice=notice)
        context = await detail_context(request, appointment_id)
        await shown_patients(request, [context["appointment"]["patient"]], f"appointment {appointment_id}")
        if not request.htmx:
            return navigate(request, request.app.route_reverse("book:detail", appointment_id=appointment_id),
                            notice=notice)
        return render(request, "scheduling/appointment.html", context, block="appointment", notice=notice)

    async def _refused(self, request: Request, appointment_id: int, form: Form, message: str, *,
                       status_code: int, **context_changes) -> Response:
        return_to = form.get("return_to")
        if return_to and request.htmx:
            context = await book_context_for(request, return_to)
            return render(request, "scheduling/book.html", context, block="book", error=message,
                          status_code=status_code)
        context = await detail_context(request, appointment_id, **context_changes)
        await shown_patients(request, [context["appointment"]["patient"]], f"appointment {appointment_id}")
        return render(request, "scheduling/appointment.html", context, block="appointment", status_code=status_code,
                      error=message)

    @post("/{appointment_id:int}/move", name="book:move", opt=WRITE, status_code=200)
    async def move(self, request: Request, appointment_id: FromPath[int]) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        revision = parse_integer(form.get("revision"), minimum=1) or -1
        try:
            request_move = book_forms.read_move(book_forms.MOVE_FORM, form.values, locale.reading, locale)
            await move(appointment_id, revision, starts_at=request_move.starts_at, minutes=request_move.minutes,
                       provider_id=request_move.provider_id, room_id=request_move.room_id, actor=actor_of(request),
                       locale=locale, overbook_reason=request_move.overbook_reason)
        except AppointmentNotFound:
            raise NotFoundException() from None
        except AppointmentChanged:
            return await self._refused(request, appointment_id, Form(values={"return_to": form.get("return_to")}),
                                       CHANGED, status_code=409)
        except BookingRefused as refused:
            form.errors = {"_conflict": "This time is not free."}
            return await self._refused(request, appointment_id, form,
                                       " ".join(c.message for c in refused.conflicts), status_code=409,
                                       move_form=form, conflicts=refused.conflicts)
        except Invalid as invalid:
            form.errors = {("time" if name == "starts_at" else name): text for name, text in invalid.errors.items()}
            message = form.errors.get("status") or "The appointment was not moved: check the highlighted fields."
            return await self._refused(request, appointment_id, form, message, status_code=422, move_form=form)
        return await self._after_change(request, appointment_id, "Appointment moved.", form)

    @post("/{appointment_id:int}/status", name="book:status", opt=WRITE, status_code=200)
    async def status(self, request: Request, appointment_id: FromPath[int]) -> Response:
        form = await read_form(request)
        revision = parse_integer(form.get("revision"), minimum=1) or -1
        status = form.get("status")
        try:
            await set_status(appointment_id, revision, status, actor_of(request), locale_of(request))
        except AppointmentNotFound:
            raise NotFoundException() from None
        except AppointmentChanged:
            return await self._refused(request, appointment_id, form, CHANGED, status_code=409)
        except BookingRefused as refused:
            return await self._refused(request, appointment_id, form,
                                       " ".join(c.message for c in refused.conflicts), status_code=409)
        except Invalid as invalid:
            message = " ".join(invalid.errors.values())
            return await self._refused(request, appointment_id, form, message, status_code=422,
                                       status_error=message)
        return await self._after_change(request, appointment_id,
                                        f"Marked {STATUS_LABELS.get(status, status).lower()}.", form)

    @post("/{appointment_id:int}/cancel", name="book:cancel", opt=WRITE, status_code=200)
    async def cancel(self, request: Request, appointment_id: FromPath[int]) -> Response:
        form = await read_form(request)
        revision = parse_integer(form.get("revision"), minimum=1) or -1
        try:
            reason = clean(book_forms.CANCEL_FORM, form.values)["cancel_reason"]
            suggestions = await cancel(appointment_id, revision, reason, actor_of(request), locale_of(request))
        except AppointmentNotFound:
            raise NotFoundException() from None
        except AppointmentChanged:
            return await self._refused(request, appointment_id, form, CHANGED, status_code=409)
        except Invalid as invalid:
            form.errors = dict(invalid.errors)
            message = (invalid.errors.get("status") or invalid.errors.get("cancel_reason")
                       or "Say why the appointment is cancelled.")
            return await self._refused(request, appointment_id, form, message, status_code=422, cancel_form=form)
        row = await get_appointment(appointment_id)
        notice = "Appointment cancelled" + (" (late cancel)." if row["late_cancel"] else ".")
        if suggestions:
            notice += f" {len(suggestions)} waiting patient(s) could take this time: see the waitlist."
        return await self._after_change(request, appointment_id, notice, form)
