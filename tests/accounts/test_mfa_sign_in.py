"""Signing in with a second step: codes, replay refusal, recovery codes, pauses."""

from __future__ import annotations

import asyncio
import datetime as dt

import time_machine

from clinic.security import mfa
from tests.factories import CODE_STEP_START as START
from tests.factories import enrol_in_mfa, make_staff, post, sign_in
from tests.helpers import html, one


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


def test_codes_from_the_neighbouring_time_steps_are_accepted_others_not():
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
        _, codes = enrol_in_mfa(client)
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


def test_a_wrong_code_or_recovery_code_is_not_typed_back_into_the_form(harness, client):
    secret = mfa.new_secret()
    doctor = harness.run(make_staff, "doctor", totp_secret=secret, keyring=harness.app.state.settings.keyring)
    with time_machine.travel(START, tick=True):
        sign_in(client, doctor["email"])
        for typed in ({"recovery_code": "qwert-yupas"}, {"code": "314159"}):
            response = post(client, "/signin/mfa", {**typed, "next": "/"})
            assert response.status_code == 422
            page = html(response)
            field = next(iter(typed))
            assert one(page, f"#e-{field}")  # the error is shown beside the field it concerns
            for name in ("code", "recovery_code"):
                assert one(page, f"input[name={name}]").attributes.get("value") in (None, "")
            assert typed[field] not in response.text
