"""Handing a reminder over: email through SMTP (with an .ics invitation), a text
message through the SMS gateway's webhook. Blocking stdlib clients run in a
thread, with timeouts well inside a sender's lease."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import parse_qs, unquote, urlsplit

import icalendar

from clinic.reminders.rules import DELIVERY_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Delivery:
    """Where messages go (from the settings); an empty address turns a channel off."""

    smtp_url: str = ""
    sms_webhook_url: str = ""

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(name for name, on in (("email", self.smtp_url), ("sms", self.sms_webhook_url)) if on)

    @property
    def sender(self) -> str:
        return (parse_qs(urlsplit(self.smtp_url).query).get("from") or [""])[-1]

    @property
    def mail_domain(self) -> str:
        return self.sender.rpartition("@")[2] or "clinic.invalid"


class DeliveryRefused(Exception):
    """The server or gateway said no; the message is a status, never the content."""


class NoLongerWanted(Exception):
    """Checked again at the last moment, the message must not go (its appointment was cancelled or moved)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    sequence: int
    summary: str
    sender_name: str = ""  # the clinic's name, shown beside the sender's address
    reply_to: str = ""  # the clinic's own address, if it has one


def invitation(email: Email, organiser: str) -> bytes:
    """The appointment as an iCalendar event (PUBLISH: for the patient's calendar, no reply asked)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Clinic//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", email.uid)
    event.add("dtstamp", dt.datetime.now(dt.timezone.utc))
    event.add("dtstart", email.starts_at)
    event.add("dtend", email.ends_at)
    event.add("summary", email.summary)
    event.add("sequence", email.sequence)
    event.add("organizer", f"mailto:{organiser}")
    calendar.add_component(event)
    return calendar.to_ical()


def build_email(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((email.sender_name, sender)) if email.sender_name else sender
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body)
    message.add_attachment(invitation(email, sender), maintype="text", subtype="calendar",
                           filename="appointment.ics", params={"method": "PUBLISH"})
    return message


def _smtp_send(url: str, message: EmailMessage, last_check=None) -> None:
    parts = urlsplit(url)
    host, timeout = parts.hostname or "", DELIVERY_TIMEOUT_SECONDS
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or (587 if parts.scheme == "smtp+starttls" else 25), timeout=timeout)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        if last_check is not None:
            last_check()  # connected and signed in: only the message itself is left to send
        refused = client.send_message(message)
        if refused:
            raise DeliveryRefused("recipient refused")


async def send_email(delivery: Delivery, email: Email, last_check=None) -> None:
    """Send through SMTP in a thread; ``last_check`` (async, raising NoLongerWanted) runs on this loop
    once the connection is ready, right before the message is handed over."""
    loop = asyncio.get_running_loop()

    def check_from_thread() -> None:
        asyncio.run_coroutine_threadsafe(last_check(), loop).result(timeout=DELIVERY_TIMEOUT_SECONDS)

    await asyncio.to_thread(_smtp_send, delivery.smtp_url, build_email(email, delivery.sender),
                            check_from_thread if last_check else None)


def _post(url: str, body: bytes, key: str, agent: str = "clinic-reminders") -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": agent})
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        raise DeliveryRefused(f"HTTP {error.code}") from None
    if not 200 <= status < 300:
        raise DeliveryRefused(f"HTTP {status}")


async def send_text(delivery: Delivery, to: str, body: str, message_id: str, last_check=None) -> None:
    """POST {"to", "body", "message_id"}; the gateway may use Idempotency-Key to drop a repeat."""
    if last_check is not None:
        await last_check()
    payload = json.dumps({"to": to, "body": body, "message_id": message_id}).encode()
    await asyncio.to_thread(_post, delivery.sms_webhook_url, payload, message_id)


# -- notices for administrators (clinic/ops alerts): plain text, same transports --


async def send_notice(smtp_url: str, to: str, subject: str, body: str, message_id: str) -> None:
    """A plain email through the reminders' SMTP server (no invitation attached)."""
    sender = Delivery(smtp_url=smtp_url).sender
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    await asyncio.to_thread(_smtp_send, smtp_url, message)


async def post_notice(url: str, payload: dict, key: str) -> None:
    """POST a JSON notice; ``key`` goes as Idempotency-Key, so a retried notice can be dropped."""
    await asyncio.to_thread(_post, url, json.dumps(payload).encode(), key, "clinic-alerts")
