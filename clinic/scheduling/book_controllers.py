"""The appointment book: the day view (every provider side by side), one
provider's week, and a provider's printable day sheet.

Dates live in the path (/book/2026-12-01, /book/week/2026-12-01/provider/3),
never patient data in a URL. An htmx request swaps only the grid (block
``book``, element ``#book``) and pushes the URL; opened directly, the same
URL is the whole page. Every read names the patients it showed.
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from clinic.core.locale import Locale
from clinic.patients.access import shown_patients
from clinic.scheduling import book_queries, book_views
from clinic.scheduling.day_sheets import BOOK, remember_book_day
from clinic.scheduling.services import appointments_between
from clinic.web.context import locale_of
from clinic.web.pages import render, wants_fragment

READ = {"permission": "appointments.read"}
# While the database is down, these answer with the day sheet this session last saw (clinic/web/degraded.py).
READ_OR_KEPT = {**READ, "day_sheet": BOOK}
# Far enough for any real booking; beyond it a date in a URL names nothing.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def parse_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise NotFoundException()
    return day


async def day_context(request: Request, day: dt.date) -> dict:
    locale = locale_of(request)
    providers = await book_queries.providers()
    grid = await book_views.day_grid(day, locale, providers)
    await shown_patients(request, book_views.patient_ids(grid), f"book {day.isoformat()}")
    return {"view": "day", "day": day, "grid": grid, "today": locale.today(),
            "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
            "title": locale.long_date(day), "return_to": f"day:{day.isoformat()}", "providers": providers}


async def week_context(request: Request, day: dt.date, provider: dict) -> dict:
    locale = locale_of(request)
    grid = await book_views.week_grid(day, provider, locale)
    await shown_patients(request, book_views.patient_ids(grid), f"book week {day.isoformat()} provider {provider['id']}")
    days = book_views.week_days(day, locale)
    return {"view": "week", "day": day, "grid": grid, "today": locale.today(), "provider": provider,
            "previous": day - dt.timedelta(days=7), "next": day + dt.timedelta(days=7),
            "title": f"{provider['name']}: {locale.format_date(days[0])} – {locale.format_date(days[-1])}",
            "return_to": f"week:{day.isoformat()}:{provider['id']}", "providers": await book_queries.providers()}


async def provider_or_404(provider_id: int) -> dict:
    provider = await book_queries.provider(provider_id)
    if provider is None:
        raise NotFoundException()
    return provider


async def book_context_for(request: Request, return_to: str) -> dict:
    """The grid a change made on the book returns to ("day:2026-12-01" or "week:2026-12-01:3")."""
    parts = return_to.split(":")
    if len(parts) == 3 and parts[0] == "week" and parts[2].isdigit():
        return await week_context(request, parse_day(parts[1]), await provider_or_404(int(parts[2])))
    day = parse_day(parts[1]) if len(parts) == 2 and parts[0] == "day" else locale_of(request).today()
    return await day_context(request, day)


class BookController(Controller):
    path = "/book"

    @get(name="book:today", opt=READ_OR_KEPT)
    async def today(self, request: Request) -> Response:
        context = await day_context(request, locale_of(request).today())
        remember_book_day(request, context)
        return render(request, "scheduling/book.html", context, block="book")

    @get("/pick", name="book:pick", opt=READ)
    async def pick(self, request: Request, day: FromQuery[str] = "", provider: FromQuery[str] = "") -> Response:
        """The date picker (a GET form): to the day's or the week's own URL."""
        chosen = parse_day(day) if day else locale_of(request).today()
        if provider.isdigit():
            location = request.app.route_reverse("book:week", day=chosen.isoformat(), provider_id=int(provider))
        else:
            location = request.app.route_reverse("book:day", day=chosen.isoformat())
        if wants_fragment(request):
            context = await (week_context(request, chosen, await provider_or_404(int(provider))) if provider.isdigit()
                             else day_context(request, chosen))
            return render(request, "scheduling/book.html", context, block="book", headers={"HX-Push-Url": location})
        return Redirect(location, status_code=303)

    @get("/{day:str}", name="book:day", opt=READ_OR_KEPT)
    async def day(self, request: Request, day: FromPath[str]) -> Response:
        context = await day_context(request, parse_day(day))
        remember_book_day(request, context)
        return render(request, "scheduling/book.html", context, block="book")

    @get("/week/{day:str}/provider/{provider_id:int}", name="book:week", opt=READ)
    async def week(self, request: Request, day: FromPath[str], provider_id: FromPath[int]) -> Response:
        chosen = parse_day(day)
        provider = await provider_or_404(provider_id)
        return render(request, "scheduling/book.html", await week_context(request, chosen, provider), block="book")

    @get("/{day:str}/sheet/{provider_id:int}", name="book:sheet", opt=READ)
    async def sheet(self, request: Request, day: FromPath[str], provider_id: FromPath[int]) -> Response:
        chosen = parse_day(day)
        provider = await provider_or_404(provider_id)
        locale: Locale = locale_of(request)
        start, end = locale.day_bounds(chosen)
        entries = await appointments_between(start, end, provider_ids=[provider_id])
        await shown_patients(request, [entry.patient_id for entry in entries],
                             f"day sheet {chosen.isoformat()} provider {provider_id}")
        return render(request, "scheduling/sheet.html", {"day": chosen, "provider": provider, "entries": entries})
