"""Setting up two-step sign-in, turning it off, and confirming the password before changing it."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import time_machine

from clinic.db.schema import table_names
from clinic.security import mfa
from tests.factories import CODE_STEP_START as START
from tests.factories import PASSWORD, enrol_in_mfa, make_staff, post, sign_in, sign_in_as
from tests.helpers import html, one


def test_an_administrator_without_mfa_enrols_before_anything_else(harness, client):
    admin = harness.run(make_staff, "admin")
    with time_machine.travel(START, tick=True):
        response = sign_in(client, admin["email"], next_path="/admin/staff")
        assert response.headers["location"] == "/account/mfa/setup?next=/admin/staff"
        for page in ("/", "/admin/staff", "/admin/audit", "/account"):
            assert client.get(page, follow_redirects=False).headers["location"] == "/account/mfa/setup"
        secret, codes = enrol_in_mfa(client)
    assert len(secret) == 32 and len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    stored = harness.sql("SELECT totp_secret, mfa_enabled FROM staff WHERE id = {}", admin["id"])[0]
    assert stored["mfa_enabled"] and secret not in stored["totp_secret"] and stored["totp_secret"].startswith("enc1:")
    hashes = harness.sql("SELECT code_hash FROM mfa_recovery_code WHERE staff = {}", admin["id"])
    assert len(hashes) == 10 and not any(code.replace("-", "") in row["code_hash"] for row in hashes for code in codes)
    with time_machine.travel(START + dt.timedelta(seconds=40), tick=True):
        assert client.get("/admin/staff").status_code == 200
    actions = [row["action"] for row in harness.audit("staff_id = {}", admin["id"], columns="action")]
    assert "auth.mfa_enrolled" in actions


def test_a_wrong_first_code_keeps_mfa_off(harness, client):
    admin = harness.run(make_staff, "admin")
    sign_in(client, admin["email"])
    client.get("/account/mfa/setup")
    response = post(client, "/account/mfa/setup", {"code": "000000"})
    assert response.status_code == 422 and html(response).css_first("#e-code") is not None
    assert harness.sql("SELECT mfa_enabled FROM staff WHERE id = {}", admin["id"])[0]["mfa_enabled"] is False


def test_anyone_may_turn_mfa_on_and_off_unless_required(harness, client):
    sign_in_as(harness, "billing")
    with time_machine.travel(START, tick=True):
        secret, codes = enrol_in_mfa(client)
        assert client.get("/account").status_code == 200
        assert "10 unused recovery codes left" in client.get("/account").text
        off = post(client, "/account/mfa/disable")
        assert off.status_code == 303 and off.headers["location"] == "/account"
        assert html(client.get("/account")).css_first("#alerts .alert-ok").text() == "Two-step sign-in was turned off."
    admin = sign_in_as(harness, "admin")
    assert admin
    refused = post(client, "/account/mfa/disable")
    assert refused.status_code == 409
    assert "requires two-step sign-in" in html(refused).css_first("#alerts .alert-error").text()


def test_changing_mfa_after_ten_minutes_asks_for_the_password_again(harness, client):
    secret = mfa.new_secret()
    keyring = harness.app.state.settings.keyring
    doctor = sign_in_as(harness, "doctor", totp_secret=secret, keyring=keyring)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11)
    for minutes in (5, 10):  # stay active so the session itself does not go idle
        with time_machine.travel(later - dt.timedelta(minutes=11 - minutes), tick=True):
            client.get("/")
    with time_machine.travel(later, tick=True):
        response = client.get("/account/mfa/setup", follow_redirects=False)
        assert response.headers["location"] == "/account/confirm?next=/account/mfa/setup"
        wrong = post(client, "/account/confirm", {"password": PASSWORD, "code": "123456", "next": "/account/mfa/setup"})
        assert wrong.status_code == 422
        right = post(client, "/account/confirm", {"password": PASSWORD, "code": mfa.code_for(secret),
                                                   "next": "/account/mfa/setup"})
        assert right.headers["location"] == "/account/mfa/setup"
        assert client.get("/account/mfa/setup").status_code == 200
    assert doctor


def whole_database(harness) -> dict[str, list[str]]:
    return {table: sorted(repr(sorted(row.items())) for row in harness.sql(f'SELECT * FROM "{table}"'))
            for table in harness.run(table_names, harness.engine)}


def test_showing_the_setup_page_twice_changes_nothing_and_offers_one_secret(harness, client):
    admin = harness.run(make_staff, "admin")
    with time_machine.travel(START, tick=False):
        sign_in(client, admin["email"])
        before = whole_database(harness)
        shown = [one(html(client.get("/account/mfa/setup")), "#mfa-secret").text().replace(" ", "")
                 for _ in range(2)]
        assert whole_database(harness) == before
        assert shown[0] == shown[1] and len(shown[0]) == 32
        # The app that scanned the first page confirms it.
        confirmed = post(client, "/account/mfa/setup", {"code": pyotp.TOTP(shown[0]).now(), "next": "/"})
    assert confirmed.status_code == 200
    stored = harness.sql("SELECT totp_secret FROM staff WHERE id = {}", admin["id"])[0]["totp_secret"]
    keyring = harness.app.state.settings.keyring
    assert keyring.decrypt(stored, context=mfa.secret_context(admin["id"])) == shown[0]


def test_another_browser_session_is_offered_another_secret(harness, client):
    admin = harness.run(make_staff, "admin")
    secrets = []
    for _ in range(2):
        client.cookies.clear()
        sign_in(client, admin["email"])
        secrets.append(one(html(client.get("/account/mfa/setup")), "#mfa-secret").text())
    assert secrets[0] != secrets[1]
