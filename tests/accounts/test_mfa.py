"""Two-step sign-in: enrolment, codes, replay refusal, recovery codes, policy."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pyotp
import time_machine

from clinic.security import mfa
from tests.factories import PASSWORD, make_staff, post, sign_in_as
from tests.helpers import html, one

START = dt.datetime(2026, 11, 23, 14, 0, 5, tzinfo=dt.timezone.utc)  # 5 s into a 30 s step


def sign_in(client, email, password=PASSWORD, next_path="/"):
    return post(client, "/signin", {"email": email, "password": password, "next": next_path})


def enrol(client) -> tuple[str, list[str]]:
    """Walk the enrolment screens; returns the secret and the recovery codes shown."""
    page = html(client.get("/account/mfa/setup"))
    secret = one(page, "#mfa-secret").text().replace(" ", "")
    assert one(page, "[data-testid=mfa-qr] svg") is not None  # rendered here, no external service
    shown = post(client, "/account/mfa/setup", {"code": pyotp.TOTP(secret).now(), "next": "/"})
    assert shown.status_code == 200, shown.text
    codes = [node.text() for node in html(shown).css("[data-testid=recovery-codes] code")]
    return secret, codes


def test_an_administrator_without_mfa_enrols_before_anything_else(harness, client):
    admin = harness.run(make_staff, "admin")
    with time_machine.travel(START, tick=True):
        response = sign_in(client, admin["email"], next_path="/admin/staff")
        assert response.headers["location"] == "/account/mfa/setup?next=/admin/staff"
        for page in ("/", "/admin/staff", "/admin/audit", "/account"):
            assert client.get(page, follow_redirects=False).headers["location"] == "/account/mfa/setup"
        secret, codes = enrol(client)
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


def test_sign_in_with_a_code_and_a_code_only_works_once(harness, client):
    secret = mfa.new_secret()
    keyring = harness.app.state.settings.keyring
    doctor = harness.run(make_staff, "doctor", totp_secret=secret, keyring=keyring)
    with time_machine.travel(START, tick=False):
        first = sign_in(client, doctor["email"])
        assert first.headers["location"] == "/signin/mfa?next=/"
        before = client.cookies.get("clinic_session")
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin/mfa"
        code = mfa.code_for(secret)
        ok = post(client, "/signin/mfa", {"code": code, "next": "/"})
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        assert client.cookies.get("clinic_session") != before  # new session id after MFA
        assert client.get("/").status_code == 200
        # Signed out and back in within the same 30 seconds: the same code is refused.
        post(client, "/signout")
        sign_in(client, doctor["email"])
        replay = post(client, "/signin/mfa", {"code": code})
        assert replay.status_code == 422
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        assert post(client, "/signin/mfa", {"code": mfa.code_for(secret)}).status_code == 303
    actions = [row["action"] for row in harness.audit("staff_id = {}", doctor["id"], columns="action")]
    assert actions.count("auth.mfa_failed") == 1 and actions.count("auth.mfa_passed") == 2


def test_a_code_in_other_digits_is_wrong_not_a_crash(harness, client):
    secret = mfa.new_secret()
    doctor = harness.run(make_staff, "doctor", totp_secret=secret, keyring=harness.app.state.settings.keyring)
    with time_machine.travel(START, tick=False):
        sign_in(client, doctor["email"])
        # The right code in Arabic-Indic digits: str.isdigit() says yes, hmac.compare_digest raises.
        arabic = mfa.code_for(secret).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        for code in (arabic, "١٢٣٤٥٦", "²²²²²²"):
            assert post(client, "/signin/mfa", {"code": code}).status_code == 422, code
        assert post(client, "/signin/mfa", {"code": mfa.code_for(secret)}).status_code == 303


def test_codes_from_the_neighbouring_time_steps_are_accepted_others_not(harness):
    secret = mfa.new_secret()
    now = START.timestamp()
    for offset, accepted in ((-30, True), (30, True), (-60, False), (60, False)):
        assert (mfa.matching_step(secret, mfa.code_for(secret, now + offset), at=now) is not None) == accepted


def test_two_parallel_submissions_of_one_code_exactly_one_succeeds(harness):
    secret = mfa.new_secret()
    keyring = harness.app.state.settings.keyring
    nurse = harness.run(make_staff, "nurse", totp_secret=secret, keyring=keyring)

    async def race():
        code = mfa.code_for(secret)
        return await asyncio.gather(*[mfa.accept_code(nurse["id"], code, keyring) for _ in range(2)])

    with time_machine.travel(START, tick=True):
        assert sorted(harness.run(race)) == [False, True]


def test_a_recovery_code_works_once_and_its_use_is_audited(harness, client):
    admin = harness.run(make_staff, "admin")
    with time_machine.travel(START, tick=True):
        sign_in(client, admin["email"])
        _, codes = enrol(client)
        post(client, "/signout")
        sign_in(client, admin["email"])
        used = post(client, "/signin/mfa", {"recovery_code": codes[3].upper().replace("-", " "), "next": "/"})
        assert used.status_code == 303
        post(client, "/signout")
        sign_in(client, admin["email"])
        again = post(client, "/signin/mfa", {"recovery_code": codes[3]})
        assert again.status_code == 422
    entries = harness.audit("staff_id = {} AND action = 'auth.mfa_recovery_used'", admin["id"], columns="detail")
    assert entries == [{"detail": "9 recovery codes left"}]


def test_the_clinic_can_require_mfa_for_everyone(harness, client):
    admin = sign_in_as(harness, "admin")
    assert admin
    response = post(client, "/admin/security", {"mfa_required_for": "everyone"}, htmx=True)
    assert response.status_code == 200 and "Security policy saved." in response.text
    client.cookies.clear()
    receptionist = harness.run(make_staff, "receptionist")
    assert sign_in(client, receptionist["email"]).headers["location"] == "/account/mfa/setup?next=/"
    assert client.get("/", follow_redirects=False).headers["location"] == "/account/mfa/setup"


def test_anyone_may_turn_mfa_on_and_off_unless_required(harness, client):
    sign_in_as(harness, "billing")
    with time_machine.travel(START, tick=True):
        secret, codes = enrol(client)
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


def test_five_wrong_codes_end_the_half_signed_in_session(harness, client):
    secret = mfa.new_secret()
    keyring = harness.app.state.settings.keyring
    doctor = harness.run(make_staff, "doctor", totp_secret=secret, keyring=keyring)
    with time_machine.travel(START, tick=True):
        sign_in(client, doctor["email"])
        for _ in range(4):
            assert post(client, "/signin/mfa", {"code": "000000"}).status_code == 422
        fifth = post(client, "/signin/mfa", {"code": "000000"})
        assert fifth.status_code == 303 and fifth.headers["location"] == "/signin?reason=codes"
        # Even with the right password again, codes stay paused for a while.
        sign_in(client, doctor["email"])
        paused = post(client, "/signin/mfa", {"code": mfa.code_for(secret)})
        assert paused.headers["location"] == "/signin?reason=codes"
    with time_machine.travel(START + dt.timedelta(minutes=2), tick=True):
        sign_in(client, doctor["email"])
        assert post(client, "/signin/mfa", {"code": mfa.code_for(secret)}).headers["location"] == "/"
    failed = harness.audit("staff_id = {} AND action = 'auth.mfa_failed'", doctor["id"], columns="outcome")
    assert [row["outcome"] for row in failed] == ["failure"] * 5 + ["denied"]


def test_a_half_signed_in_session_cannot_be_kept_alive(harness, client):
    secret = mfa.new_secret()
    doctor = harness.run(make_staff, "doctor", totp_secret=secret, keyring=harness.app.state.settings.keyring)
    with time_machine.travel(START, tick=True):
        sign_in(client, doctor["email"])
        keepalive = post(client, "/session/keepalive")
        assert keepalive.status_code == 303 and keepalive.headers["location"] == "/signin/mfa"
    with time_machine.travel(START + dt.timedelta(minutes=11), tick=True):
        late = post(client, "/signin/mfa", {"code": mfa.code_for(secret)})
        assert late.status_code == 303 and late.headers["location"].startswith("/signin?next=")
