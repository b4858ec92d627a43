"""Finding time: the next free slots for a type with a provider or anyone, and
booking one of them.

The search is a GET form (type, provider, date, morning/afternoon, room: no
patient data, so the URL can be kept and shared); each slot links to the slot
page, a short booking form with the time fixed where the patient is chosen
(or already chosen, coming from the waitlist), sent with an idempotency token
through the booking service like every booking.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from clinic.core.errors import Invalid
from clinic.core.forms import Form, parse_integer
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.scheduling import availability, book_forms, book_queries, finding_forms, setup
from clinic.scheduling.appointment_controllers import conflict_errors
from clinic.scheduling.booking import BookingRefused, book
from clinic.scheduling.patient_pick import access_patient, chosen_patient, find_patients
from clinic.scheduling.services import get_appointment
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

READ = {"permission": "appointments.read"}
WRITE = {"permission": "appointments.write"}
SLOTS_SHOWN = 12
SLOT_FIELDS = ("provider", "type", "room", "day", "time", "minutes")


async def search_spec():
    types = await setup.appointment_types(active_only=True)
    spec = finding_forms.NEXT_FORM.with_choices("type", [(str(t["id"]), f"{t['name']} ({t['minutes']} min)")
                                                         for t in types])
    spec = spec.with_choices("provider", [(str(p["id"]), p["name"]) for p in await book_queries.providers()])
    spec = spec.with_choices("room", [(str(r["id"]), r["name"]) for r in await setup.rooms(active_only=True)])
    return spec, types


async def slot_context(request: Request, form: Form, *, patient: dict | None = None, hits=None,
                       conflicts=None) -> dict:
    """The slot page: the fixed time named in words, the patient chooser, notes."""
    providers = {p["id"]: p["name"] for p in await book_queries.providers(include_inactive=True)}
    types = {t["id"]: t for t in await setup.appointment_types()}
    rooms = {r["id"]: r["name"] for r in await setup.rooms()}
    number = lambda name: parse_integer(form.get(name), minimum=1, maximum=2**31 - 1)  # noqa: E731
    kind = types.get(number("type_id"))
    when = form.get("day")
    try:
        locale = locale_of(request)
        starts = locale.to_utc(dt.date.fromisoformat(form.get("day")), dt.time.fromisoformat(form.get("time")))
        when = f"{locale.long_date(starts)}, {locale.format_time(starts)}"
    except ValueError:
        pass
    return {"when": when, "form": form, "patient": patient, "hits": hits, "conflicts": conflicts or [],
            "provider_name": providers.get(number("provider_id"), ""), "type_name": kind["name"] if kind else "",
            "room_name": rooms.get(number("room_id"), ""), "notes_field": book_forms.BOOKING_FORM["notes"]}


def slot_form(request: Request, values: dict[str, str]) -> Form:
    """The booking form's values from a slot's query (provider, type, room, day, time, minutes)."""
    return Form(values={"provider_id": values.get("provider", ""), "type_id": values.get("type", ""),
                        "room_id": values.get("room", ""), "day": values.get("day", ""),
                        "time": values.get("time", ""), "minutes": values.get("minutes", ""),
                        "token": book_forms.new_token()})


class FindingController(Controller):
    path = "/appointments"

    @get("/next-available", name="find:next", opt=READ)
    async def next_available(self, request: Request) -> Response:
        locale = locale_of(request)
        raw = dict(request.query_params)
        values = {name: str(raw.get(name, ""))[:40] for name in ("type", "provider", "from", "part", "room")}
        spec, types = await search_spec()
        form = Form(values=values)
        slots = None
        if values["type"]:
            search, form.errors = finding_forms.read_search(spec, values, locale.reading)
            if search is not None:
                try:
                    found = await availability.next_free(search.type_id, search.provider_ids, search.from_date,
                                                         locale, part_of_day=search.part_of_day,
                                                         room_id=search.room_id, limit=SLOTS_SHOWN)
                except Invalid as invalid:
                    form.errors = {{"type_id": "type", "part_of_day": "part"}.get(k, k): v
                                   for k, v in invalid.errors.items()}
                else:
                    slots = [{"slot": slot, "book_url": request.app.route_reverse("find:slot") + "?"
                              + urlencode(finding_forms.slot_query(slot, search.type_id, locale))}
                             for slot in found]
        elif not values["from"]:
            form.values["from"] = locale.today().isoformat()
        return render(request, "scheduling/next_available.html",
                      {"form": form, "spec": spec, "slots": slots, "has_types": bool(types)}, block="next_results")

    @get("/slot", name="find:slot", opt=WRITE)
    async def slot(self, request: Request) -> Response:
        values = {name: str(request.query_params.get(name, ""))[:40] for name in SLOT_FIELDS}
        return render(request, "scheduling/slot.html", await slot_context(request, slot_form(request, values)))

    @get("/slot/patient/{patient_id:int}", name="find:slot_for_patient",
         opt={**WRITE, "shows": "booking a free slot"}, dependencies=PATIENT_ACCESS)
    async def slot_for_patient(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        values = {name: str(request.query_params.get(name, ""))[:40] for name in SLOT_FIELDS}
        form = slot_form(request, values)
        form.values["patient_id"] = str(access.patient_id)
        return render(request, "scheduling/slot.html",
                      await slot_context(request, form, patient=access_patient(access)))

    @post("/slot", name="find:book_slot", opt=WRITE, status_code=200)
    async def book_slot(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        patient = await chosen_patient(request, form.get("patient_id"), "booking a free slot")
        if form.get("find"):
            hits = await find_patients(request, form.get("patient_q"), "booking a free slot: search")
            return render(request, "scheduling/slot.html",
                          await slot_context(request, form, patient=patient, hits=hits))
        conflicts = None
        try:
            booking = book_forms.read_booking(book_forms.BOOKING_FORM, form.values, locale.reading, locale)
            appointment_id = await book(booking, actor_of(request), locale)
        except BookingRefused as refused:
            conflicts = conflict_errors(form, refused)
            form.errors["_conflict"] = "Someone has just taken this time, or it no longer fits: search again."
        except Invalid as invalid:
            form.errors = dict(invalid.errors)
            if "_token" in form.errors:
                form.values["token"] = book_forms.new_token()
        else:
            row = await get_appointment(appointment_id)
            return navigate(request, request.app.route_reverse("book:detail", appointment_id=appointment_id),
                            notice=f"Booked for {locale.format_date(row['starts_at'])} at "
                                   f"{locale.format_time(row['starts_at'])}.")
        return render(request, "scheduling/slot.html",
                      await slot_context(request, form, patient=patient, conflicts=conflicts),
                      block="slot_form", status_code=409 if conflicts else 422)
