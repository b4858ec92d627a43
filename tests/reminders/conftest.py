"""Local servers the reminders are delivered to: an SMTP server (aiosmtpd) and
an SMS gateway (a small HTTP server), each recording what it received."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from clinic.reminders import config
from clinic.reminders.delivery import Delivery
from tests.factories import book_appointment, local_time, make_patient, make_staff, set_working_hours

MONDAY = dt.date(2027, 3, 1)
TUESDAY = dt.date(2027, 3, 2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = 0  # answer the next N messages with a temporary failure
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    previous = config.current.delivery
    config.use_delivery(Delivery(smtp_url=f"smtp://127.0.0.1:{controller.port}?from=reminders@riverside.test",
                                 sms_webhook_url=previous.sms_webhook_url))
    try:
        yield box
    finally:
        config.use_delivery(previous)
        controller.stop()


class Gateway:
    def __init__(self):
        self.received: list[dict] = []
        self.status = 200


@pytest.fixture
def gateway():
    box = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if box.status == 200:
                box.received.append({"json": json.loads(body), "key": self.headers["Idempotency-Key"]})
            self.send_response(box.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = config.current.delivery
    config.use_delivery(Delivery(smtp_url=previous.smtp_url,
                                 sms_webhook_url=f"http://127.0.0.1:{server.server_port}/sms"))
    try:
        yield box
    finally:
        config.use_delivery(previous)
        server.shutdown()
        server.server_close()


@pytest.fixture
def clinic(harness):
    """A doctor with hours, a patient with an email address and a phone, and the clinic's profile in New York."""
    from clinic.practice.services import forget, practice

    harness.run(practice, {"name": "Riverside Clinic", "timezone": "America/New_York", "currency": "USD"})
    forget()
    doctor = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, doctor["id"])
    patient = harness.run(make_patient, first_name="Ann", last_name="Jones", email="ann@example.org")
    return {"doctor": doctor, "provider": doctor["id"], "patient": patient}


def book(harness, clinic, day=TUESDAY, hhmm="10:00", minutes=30, patient=None):
    return harness.run(book_appointment, patient or clinic["patient"], clinic["provider"], local_time(day, hhmm),
                       minutes)


def outbox(harness) -> list[dict]:
    return harness.sql("SELECT * FROM reminder_message ORDER BY id")
