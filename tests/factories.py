"""Small factories: real rows in the real database, built the way the app builds them."""

from __future__ import annotations

import datetime as dt
import itertools
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from clinic.security import mfa, sessions
from clinic.security.csrf import REFUSED
from clinic.security.passwords import hash_password
from clinic.security.permissions import CLINICIAN_ROLES
from clinic.security.tables import Staff
from clinic.web.pages import FLASH_COOKIE

PASSWORD = "correct horse battery staple"
CODE_STEP_START = dt.datetime(2026, 11, 23, 14, 0, 5, tzinfo=dt.timezone.utc)  # 5 s into a 30 s code step
_numbers = itertools.count(1)


@lru_cache(maxsize=8)
def password_hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose; hash each test password once


async def make_staff(role: str = "doctor", *, email: str | None = None, name: str | None = None,
                     password: str = PASSWORD, active: bool = True, must_change_password: bool = False,
                     totp_secret: str | None = None, keyring=None) -> dict:
    number = next(_numbers)
    email = email or f"{role}{number}@riverside-clinic.org"
    name = name or f"{role.capitalize()} Person{number}"
    rows = await Staff.insert(
        Staff(email=email, email_key=email.lower(), full_name=name, display_name=name.split()[0], role=role,
              colour="teal" if role in CLINICIAN_ROLES else "", active=active,
              password_hash=password_hash(password), must_change_password=must_change_password)
    )
    staff_id = rows[0]["id"]
    if totp_secret:
        await mfa.enable(staff_id, totp_secret, 0, keyring)
    return {"id": staff_id, "email": email, "full_name": name, "role": role, "password": password,
            "totp_secret": totp_secret}


async def open_session(staff_id: int, policy, *, stage: str = sessions.ACTIVE) -> str:
    return await sessions.start_session(staff_id, stage=stage, policy=policy, client_address="testclient",
                                        user_agent="pytest")


def sign_in_as(harness, role: str = "receptionist", **options) -> dict:
    """A member of staff with an open session; the client carries its cookie."""
    staff = harness.run(make_staff, role, **options)
    token = harness.run(open_session, staff["id"], harness.app.state.session_policy)
    harness.client.cookies.set("clinic_session", token, domain="testserver.local")
    staff["token"] = token
    return staff


def sign_in(client, email: str, password: str = PASSWORD, next_path: str = "/"):
    """The sign-in form, submitted as a browser would."""
    return post(client, "/signin", {"email": email, "password": password, "next": next_path})


def enrol_in_mfa(client) -> tuple[str, list[str]]:
    """Walk the two-step sign-in set-up screens; returns the secret and the recovery codes shown."""
    import pyotp

    from tests.helpers import html, one

    page = html(client.get("/account/mfa/setup"))
    secret = one(page, "#mfa-secret").text().replace(" ", "")
    assert one(page, "[data-testid=mfa-qr] svg") is not None  # rendered here, no external service
    shown = post(client, "/account/mfa/setup", {"code": pyotp.TOTP(secret).now(), "next": "/"})
    assert shown.status_code == 200, shown.text
    codes = [node.text() for node in html(shown).css("[data-testid=recovery-codes] code")]
    return secret, codes


def csrf_token(client, *, fresh: bool = False) -> str:
    """The CSRF token a page would give this client now, as a browser reads it.

    It belongs to the session (or, signed out, to the csrftoken cookie), so it
    is read again from a page whenever those cookies change. "/signin" shows
    the sign-in form to anyone not fully signed in and sends the rest to the
    dashboard; neither changes anything (a step's own page might: MFA setup
    makes a new secret)."""
    cookies = (client.cookies.get("clinic_session"), client.cookies.get("csrftoken"))
    known = getattr(client, "_clinic_csrf", None)
    if known and known[0] == cookies and not fresh:
        return known[1]
    notice = client.cookies.get(FLASH_COOKIE)  # a confirmation the test may still look for
    page = client.get("/signin", follow_redirects=True)
    if notice is not None:
        client.cookies.set(FLASH_COOKIE, notice, domain="testserver.local")
    meta = HTMLParser(page.text).css_first('meta[name="csrf-token"]')
    token = meta.attributes["content"] if meta else ""
    client._clinic_csrf = ((client.cookies.get("clinic_session"), client.cookies.get("csrftoken")), token)
    return token


def post(client, url: str, data: dict | None = None, *, htmx: bool = False, **kwargs):
    """A form or htmx POST with the page's CSRF token, as a browser sends it."""
    extra = kwargs.pop("headers", {})

    def send(token: str):
        headers = {"X-CSRFToken": token, **extra}
        if htmx:
            headers["HX-Request"] = "true"
            headers.setdefault("HX-Current-URL", "http://testserver.local/")
        return client.post(url, data=data or {}, headers=headers, follow_redirects=False, **kwargs)

    response = send(csrf_token(client))
    if response.status_code == 403 and REFUSED in response.text and "X-CSRFToken" not in extra:
        # The session ended on the server while its cookie stayed (too many
        # wrong codes, say): a browser would be on a fresh page by now.
        response = send(csrf_token(client, fresh=True))
    return response


DEFAULT_PATIENT = {
    "first_name": "Maria", "last_name": "Garcia", "date_of_birth": "1980-03-15", "sex": "female",
    "phone": "(415) 555-0123", "email": "", "national_id": "",
}


def locale():
    from clinic.core.locale import Locale

    return Locale.for_country("US", "America/New_York")


async def make_patient(actor_id: int | None = None, **values) -> int:
    """A patient registered through the real service (validation, keys, encryption, audit)."""
    from clinic.audit.services import Actor
    from clinic.patients.services import register

    data = {**DEFAULT_PATIENT, **values}
    return await register(data, Actor(staff_id=actor_id, role="test"), locale(), accept_duplicates=True)


async def add_chart_entry(section_key: str, patient_id: int, **values) -> int:
    from clinic.audit.services import Actor
    from clinic.clinical.sections import SECTIONS
    from clinic.clinical.services import add_entry

    section = SECTIONS[section_key]
    if section_key == "allergies":
        values = {"severity": "moderate", **values}
    return await add_entry(section, patient_id, values, Actor(role="test"), locale().reading, accept_duplicate=True)


def mrn_of(harness, patient_id: int) -> str:
    return harness.sql("SELECT mrn FROM patient WHERE id = {}", patient_id)[0]["mrn"]


async def add_policy(patient_id: int, payer_name: str = "Aetna", member_number: str = "W123456789") -> int:
    from clinic.audit.services import Actor
    from clinic.patients.services import add_insurance

    return await add_insurance(patient_id, {"payer_name": payer_name, "member_number": member_number,
                                            "priority": "primary", "subscriber_relation": "self"}, Actor(role="test"))


# -- scheduling ---------------------------------------------------------------

WEEKDAYS = range(5)


async def make_appointment_type(name: str | None = None, *, minutes: int = 30, providers: list[int] = (),
                                needs_room: bool = False, may_overlap: bool = False, colour: str = "") -> int:
    from clinic.scheduling.tables import AppointmentType, AppointmentTypeProvider

    rows = await AppointmentType.insert(AppointmentType(
        name=name or f"Visit type {next(_numbers)}", minutes=minutes, needs_room=needs_room,
        may_overlap=may_overlap, colour=colour, active=True))
    type_id = rows[0]["id"]
    for provider_id in providers:
        await AppointmentTypeProvider.insert(AppointmentTypeProvider(type=type_id, provider=provider_id))
    return type_id


async def make_room(name: str | None = None) -> int:
    from clinic.scheduling.tables import Room

    rows = await Room.insert(Room(name=name or f"Room {next(_numbers)}", active=True))
    return rows[0]["id"]


async def set_working_hours(provider_id: int, blocks: dict[int, list[tuple[str, str]]] | None = None) -> None:
    """Blocks per weekday as "HH:MM" pairs; by default Monday to Friday 9–12 and 13–17."""
    from clinic.scheduling.tables import WorkingHours

    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    if blocks is None:
        blocks = {day: [("09:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS}
    await WorkingHours.delete().where(WorkingHours.provider == provider_id)
    for weekday, pairs in blocks.items():
        for starts, ends in pairs:
            await WorkingHours.insert(WorkingHours(provider=provider_id, weekday=weekday, starts=minutes(starts),
                                                   ends=minutes(ends)))


async def add_time_off(provider_id: int, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = "Leave") -> int:
    from clinic.scheduling.tables import TimeOff

    rows = await TimeOff.insert(TimeOff(provider=provider_id, starts_at=starts_at, ends_at=ends_at, reason=reason))
    return rows[0]["id"]


def local_time(day: dt.date, hhmm: str, zone: str = "America/New_York") -> dt.datetime:
    """A wall-clock time in the clinic (tests' zone) as UTC."""
    from zoneinfo import ZoneInfo

    hours, minutes = hhmm.split(":")
    wall = dt.datetime.combine(day, dt.time(int(hours), int(minutes)), tzinfo=ZoneInfo(zone))
    return wall.astimezone(dt.timezone.utc)


async def book_appointment(patient_id: int, provider_id: int, starts_at: dt.datetime, minutes: int = 30, **fields):
    """An appointment booked through the real service (every rule checked)."""
    from clinic.audit.services import Actor
    from clinic.scheduling.booking import Booking, book

    booking = Booking(patient_id=patient_id, provider_id=provider_id, type_id=fields.pop("type_id", None),
                      starts_at=starts_at, minutes=minutes, **fields)
    return await book(booking, Actor(staff_id=provider_id, role="test"), locale())
