"""Reminders' screens: the patient's confirm/cancel link pages (public), the
administrators' wording screen, and each provider's private calendar feed."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.reminders import rules, services
from clinic.reminders.forms import SPECS
from clinic.web.actors import actor_of, client_address
from clinic.web.forms import read_form
from clinic.web.pages import render

MANAGE = {"permission": "practice.manage"}
# Opened from a message, without signing in: answered only to a valid token, and rate limited.
PATIENT_LINK = {"public": True, "rate_limited": True}
OWN_FEED = {"permission": "appointments.read"}


class ReminderLinkController(Controller):
    """/r/<token>: a GET shows the page and a button (mail scanners open links); only the POST acts."""

    path = "/r"

    @get("/{token:str}", name="reminders:link", opt=PATIENT_LINK, cache=False)
    async def show(self, request: Request, token: FromPath[str]) -> Response:
        try:
            page = await services.open_link(token)
        except services.LinkNotFound:
            raise NotFoundException() from None
        return render(request, "reminders/link.html", {"page": page, "token": token},
                      headers={"X-Robots-Tag": "noindex"})

    @post("/{token:str}", name="reminders:link_use", opt=PATIENT_LINK, status_code=200)
    async def use(self, request: Request, token: FromPath[str]) -> Response:
        actor = services.patient_actor(client_address(request), request.headers.get("user-agent", "")[:200])
        try:
            page = await services.use_link(token, actor)
        except services.LinkNotFound:
            raise NotFoundException() from None
        return render(request, "reminders/link.html", {"page": page, "token": token, "done": True},
                      headers={"X-Robots-Tag": "noindex"})


class ReminderLogController(Controller):
    """An appointment's reminders, as a page or as the fragment the book's appointment detail loads."""

    path = "/reminders/appointments"

    @get("/{appointment_id:int}", name="reminders:log", opt={"permission": "appointments.read"})
    async def show(self, request: Request, appointment_id: FromPath[int]) -> Response:
        if not await services.appointment_exists(appointment_id):
            raise NotFoundException()
        return render(request, "reminders/appointment_log.html",
                      {"reminder_log": await services.reminder_log(appointment_id)}, block="reminder_log")


class ReminderWordingController(Controller):
    path = "/admin/reminders"

    @get(name="reminders:wording", opt=MANAGE)
    async def show(self, request: Request) -> Response:
        return render(request, "reminders/wording.html", await wording_context())

    @post("/{channel:str}", name="reminders:wording_save", opt=MANAGE, status_code=200)
    async def save(self, request: Request, channel: FromPath[str]) -> Response:
        if channel not in SPECS:
            raise NotFoundException()
        form = await read_form(request)
        try:
            await services.save_wording(channel, "reminder", form.get("subject"), form.get("body"),
                                        actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "reminders/wording.html", await wording_context({channel: form}),
                          block=f"wording_{channel}", status_code=422)
        return render(request, "reminders/wording.html", await wording_context(), block=f"wording_{channel}",
                      notice=f"{rules.CHANNEL_LABELS[channel]} wording saved.")

    @post("/{channel:str}/reset", name="reminders:wording_reset", opt=MANAGE, status_code=200)
    async def reset(self, request: Request, channel: FromPath[str]) -> Response:
        if channel not in SPECS:
            raise NotFoundException()
        await services.reset_wording(channel, "reminder", actor_of(request))
        return render(request, "reminders/wording.html", await wording_context(), block=f"wording_{channel}",
                      notice=f"{rules.CHANNEL_LABELS[channel]} wording set back to the built-in text.")


async def wording_context(forms: dict[str, Form] | None = None) -> dict:
    current = await services.wordings()
    forms = dict(forms or {})
    for channel in SPECS:
        if channel not in forms:
            wording = current[(channel, "reminder")]
            forms[channel] = Form(values={"subject": wording.subject, "body": wording.body})
    counts = await services.outbox_counts()
    previews = {channel: services.preview(current[(channel, "reminder")]) for channel in SPECS}
    return {"wording_forms": forms, "specs": SPECS, "custom": {channel: current[(channel, "reminder")].custom
                                                       for channel in SPECS},
            "placeholders": rules.PLACEHOLDERS, "labels": rules.CHANNEL_LABELS,
            "configured": services.current.delivery.channels, "counts": counts, "states": rules.STATE_LABELS,
            "failed": await services.failed_messages(), "previews": previews}


class CalendarFeedController(Controller):
    """The signed-in provider's own private calendar address: create (shown once) or revoke."""

    path = "/account/calendar"

    @get(name="reminders:feed_settings", opt=OWN_FEED)
    async def show(self, request: Request) -> Response:
        return render(request, "reminders/feed.html", await feed_context(request))

    @post("/new", name="reminders:feed_create", opt=OWN_FEED, status_code=200)
    async def create(self, request: Request) -> Response:
        user = request.scope["user"]
        token = await services.create_feed(user.id, actor_of(request))
        url = f"{services.current.public_url}{request.app.route_reverse('reminders:feed', token=token)}.ics"
        return render(request, "reminders/feed.html", await feed_context(request, new_url=url), block="feed",
                      notice="A new calendar address is ready. Any earlier one no longer works.")

    @post("/revoke", name="reminders:feed_revoke", opt=OWN_FEED, status_code=200)
    async def revoke(self, request: Request) -> Response:
        revoked = await services.revoke_feed(request.scope["user"].id, actor_of(request))
        return render(request, "reminders/feed.html", await feed_context(request), block="feed",
                      notice="The calendar address no longer works." if revoked else "")


async def feed_context(request: Request, *, new_url: str = "") -> dict:
    return {"feed": await services.feed_state(request.scope["user"].id), "new_url": new_url}


class CalendarFeedPublic(Controller):
    """The feed itself, fetched by a calendar program with the secret address (no session)."""

    path = "/calendar"

    @get("/{token:str}", name="reminders:feed", opt={"public": True, "rate_limited": True, "sessionless": True},
         cache=False)
    async def feed(self, token: FromPath[str]) -> Response:
        token = token.removesuffix(".ics")
        staff_id = await services.feed_owner(token)
        if staff_id is None:
            raise NotFoundException()
        return Response(await services.feed_calendar(staff_id), media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
                                 "X-Robots-Tag": "noindex"})
