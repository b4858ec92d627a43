"""The waitlist screen: who is waiting for an earlier time and with what
constraints; adding and removing entries; and, on a cancelled appointment's
page, the waiting patients its freed time would suit, each a link to book
that patient into it.

Entries stop waiting on their own: when the patient is booked with a
provider and type they asked for (the booking service settles them) or when
their last day passes."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.core.paging import Page, page_bounds, page_number
from clinic.patients.access import shown_patients
from clinic.scheduling import book_queries, setup, waitlist, waitlist_forms
from clinic.scheduling.booking import AppointmentNotFound
from clinic.scheduling.patient_pick import chosen_patient, find_patients
from clinic.scheduling.rules import weekday_name
from clinic.scheduling.services import get_appointment
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

READ = {"permission": "appointments.read"}
WRITE = {"permission": "appointments.write"}
PAGE_SIZE = 25


def clock_text(minutes: int | None, locale) -> str:
    if minutes is None:
        return ""
    if minutes >= 24 * 60:
        return "midnight"
    return locale.format_time(dt.time(minutes // 60, minutes % 60))


def describe(entry: dict, providers: dict[int, str], locale) -> dict:
    """An entry's constraints in words for the list."""
    days = ", ".join(weekday_name(day)[:3] for day in entry["weekday_list"]) or "Any day"
    earliest, latest = clock_text(entry["earliest_minutes"], locale), clock_text(entry["latest_minutes"], locale)
    times = (f"{earliest}–{latest}" if earliest and latest else f"from {earliest}" if earliest
             else f"until {latest}" if latest else "Any time")
    who = ", ".join(providers.get(pid, f"#{pid}") for pid in entry["provider_ids"]) or "Any provider"
    return {**entry, "days_text": days, "times_text": times, "providers_text": who}


def search_for(entry: dict) -> dict[str, str]:
    """The next available search an entry asks for (its type, its one provider, morning or afternoon)."""
    query = {"type": str(entry["type"] or "")}
    if len(entry["provider_ids"]) == 1:
        query["provider"] = str(entry["provider_ids"][0])
    if entry["latest_minutes"] is not None and entry["latest_minutes"] <= 12 * 60:
        query["part"] = "morning"
    elif entry["earliest_minutes"] is not None and entry["earliest_minutes"] >= 12 * 60:
        query["part"] = "afternoon"
    if entry["from_date"]:
        query["from"] = entry["from_date"].isoformat()
    return query


async def entry_choices() -> tuple[list[dict], list[dict]]:
    return await book_queries.providers(), await setup.appointment_types(active_only=True)


async def form_context(request: Request, form: Form, *, patient=None, hits=None, chosen_providers=(),
                       chosen_days=()) -> dict:
    providers, types = await entry_choices()
    spec = waitlist_forms.WAITLIST_FORM.with_choices("type_id", [(str(t["id"]), t["name"]) for t in types])
    return {"form": form, "spec": spec, "patient": patient, "hits": hits, "providers": providers,
            "weekdays": waitlist_forms.WEEKDAYS, "chosen_providers": list(chosen_providers),
            "chosen_days": list(chosen_days)}


async def posted_lists(request: Request) -> tuple[list[str], list[str]]:
    data = await request.form()
    pick = lambda name: [v for v in data.getall(name) if isinstance(v, str)][:50] if name in data else []  # noqa: E731
    return pick("providers"), pick("weekdays")


class WaitlistController(Controller):
    path = "/waitlist"

    @get(name="waitlist:list", opt=READ)
    async def list(self, request: Request, page: FromQuery[str] = "") -> Response:
        locale = locale_of(request)
        entries = await waitlist.waiting_entries(locale.today())
        number, pages, offset = page_bounds(page_number(page), len(entries), PAGE_SIZE)
        providers = {p["id"]: p["name"] for p in await book_queries.providers(include_inactive=True)}
        finder = request.app.route_reverse("find:next")
        rows = [{**describe(entry, providers, locale), "find_url": finder + "?" + urlencode(search_for(entry))}
                for entry in entries[offset:offset + PAGE_SIZE]]
        await shown_patients(request, [row["patient"] for row in rows], "waitlist")
        base = request.app.route_reverse("waitlist:list")
        return render(request, "scheduling/waitlist.html",
                      {"page": Page(rows=rows, number=number, pages=pages, total=len(entries)),
                       "page_url": lambda n: base + "?" + urlencode({"page": n})},
                      block="waitlist_rows")

    @get("/new", name="waitlist:new", opt=WRITE)
    async def new(self, request: Request) -> Response:
        return render(request, "scheduling/waitlist_form.html", await form_context(request, Form()))

    @post("/new", name="waitlist:create", opt=WRITE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        providers, days = await posted_lists(request)
        locale = locale_of(request)
        patient = await chosen_patient(request, form.get("patient_id"), "waitlist form")
        hits = None
        if form.get("find"):
            hits = await find_patients(request, form.get("patient_q"), "waitlist form search")
        else:
            try:
                values = waitlist_forms.read_entry(form.values, providers, days, locale.reading)
                await waitlist.add_to_waitlist(values.pop("patient_id"), actor_of(request), locale, **values)
            except Invalid as invalid:
                form.errors = {{"earliest_minutes": "earliest", "latest_minutes": "latest"}.get(k, k): v
                               for k, v in invalid.errors.items()}
            else:
                return navigate(request, request.app.route_reverse("waitlist:list"), notice="Added to the waitlist.")
        return render(request, "scheduling/waitlist_form.html",
                      await form_context(request, form, patient=patient, hits=hits, chosen_providers=providers,
                                         chosen_days=days),
                      block="waitlist_form", status_code=200 if hits is not None else 422)

    @post("/{entry_id:int}/remove", name="waitlist:remove", opt=WRITE, status_code=200)
    async def remove(self, request: Request, entry_id: FromPath[int]) -> Response:
        removed = await waitlist.remove_from_waitlist(entry_id, actor_of(request))
        notice = "Removed from the waitlist." if removed else "This entry was no longer waiting."
        return navigate(request, request.app.route_reverse("waitlist:list"), notice=notice)

    @get("/matches/{appointment_id:int}", name="waitlist:matches", opt=WRITE)
    async def matches(self, request: Request, appointment_id: FromPath[int]) -> Response:
        """Waiting patients the (cancelled) appointment's time would suit, each with a link to book them into it."""
        locale = locale_of(request)
        try:
            row = await get_appointment(appointment_id)
        except AppointmentNotFound:
            raise NotFoundException() from None
        entries = await waitlist.matching_waitlist(row, locale) if row["status"] == "cancelled" else []
        providers = {p["id"]: p["name"] for p in await book_queries.providers(include_inactive=True)}
        local = locale.local(row["starts_at"])
        query = urlencode({"provider": row["provider"], "type": row["type"] or "", "room": row["room"] or "",
                           "day": local.date().isoformat(), "time": local.strftime("%H:%M"), "minutes": row["minutes"]})
        suggestions = [{**describe(entry, providers, locale),
                        "book_url": request.app.route_reverse("find:slot_for_patient", patient_id=entry["patient"])
                        + "?" + query} for entry in entries]
        await shown_patients(request, [entry["patient"] for entry in suggestions],
                             f"waitlist matches for appointment {appointment_id}")
        return render(request, "scheduling/waitlist_matches.html",
                      {"appointment": row, "suggestions": suggestions}, block="waitlist_matches")
