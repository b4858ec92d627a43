"""The sign-in screen: passwords, where it leads, pauses after failures, rate limits, a new session id."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.security import throttle
from clinic.security.passwords import HASHER
from clinic.security.sessions import token_digest
from clinic.security.tables import Staff
from tests.conftest import harness_for
from tests.factories import PASSWORD, make_staff, post, sign_in
from tests.helpers import html, one

GENERIC = "That email and password did not work."
PAUSED = "Signing in is paused for a few minutes"


def audit_actions(harness, staff_id):
    rows = harness.audit("staff_id = {}", staff_id, columns="action, outcome")
    return [(row["action"], row["outcome"]) for row in rows]


def test_the_sign_in_page_works_without_javascript(client):
    tree = html(client.get("/signin"))
    form = one(tree, "form[action='/signin']")
    assert form.attributes["method"] == "post"
    assert form.css_first("input[name=_csrf_token]").attributes["value"]
    assert form.css_first("input[name=email][autocomplete=username]") is not None
    assert form.css_first("input[name=password][type=password]") is not None


def test_a_receptionist_signs_in_and_lands_where_they_were_going(harness, client):
    staff = harness.run(make_staff, "receptionist")
    response = sign_in(client, staff["email"].upper(), PASSWORD, next_path="/account")
    assert response.status_code == 303 and response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("clinic_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = client.cookies.get("clinic_session")
    stored = harness.sql("SELECT token_hash, stage FROM staff_session WHERE staff = {}", staff["id"])
    assert stored == [{"token_hash": token_digest(token), "stage": "active"}]  # only the hash is kept
    assert client.get("/").status_code == 200
    assert ("auth.login", "success") in audit_actions(harness, staff["id"])


def test_the_next_page_must_be_on_this_site(harness, client):
    staff = harness.run(make_staff, "nurse")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = sign_in(client, staff["email"], PASSWORD, next_path=evil)
        assert response.headers["location"] == "/"


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(harness, client):
    staff = harness.run(make_staff, "doctor")
    wrong = sign_in(client, staff["email"], "not the password at all")
    unknown = sign_in(client, "nobody@riverside-clinic.org", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert one(html(response), ".alert-error").text().startswith(GENERIC)
        assert "clinic_session" not in response.headers.get("set-cookie", "")
    # What was typed stays, except the password.
    tree = html(wrong)
    assert tree.css_first("input[name=email]").attributes["value"] == staff["email"]
    assert tree.css_first("input[name=password]").attributes.get("value", "") == ""
    assert ("auth.login_failed", "failure") in audit_actions(harness, staff["id"])


def test_empty_fields_are_explained_inline(client):
    response = post(client, "/signin", {"email": "", "password": ""})
    tree = html(response)
    assert response.status_code == 422
    assert tree.css_first("#e-email").text() == "Enter your email address."
    assert tree.css_first("#e-password").text() == "Enter your password."


def test_five_failures_pause_that_address_and_even_the_right_password_is_refused(harness, client):
    staff = harness.run(make_staff, "doctor")
    for _ in range(5):
        assert sign_in(client, staff["email"], "wrong password here").status_code == 422
    paused = sign_in(client, staff["email"], PASSWORD)
    # The person is told to wait or ask an administrator.
    assert paused.status_code == 422 and one(html(paused), ".alert-error").text().startswith(PAUSED)
    assert ("auth.login_failed", "denied") in audit_actions(harness, staff["id"])
    # The pause grows with further failures once it has run out.
    pair = throttle.pair_key(staff["email"], "testclient")
    first = harness.run(throttle.locked_until, pair)
    with time_machine.travel(first + dt.timedelta(seconds=1), tick=True):
        assert sign_in(client, staff["email"], "wrong again, sixth").status_code == 422
        second = harness.run(throttle.locked_until, pair)
        assert second - dt.datetime.now(dt.timezone.utc) > dt.timedelta(seconds=100)  # 2 minutes this time
    with time_machine.travel(second + dt.timedelta(seconds=1), tick=True):
        assert sign_in(client, staff["email"], PASSWORD).status_code == 303


def test_an_unknown_email_is_paused_the_same_way(harness, client):
    for _ in range(5):
        sign_in(client, "ghost@riverside-clinic.org", "whatever password 1")
    assert harness.run(throttle.locked_until, throttle.pair_key("ghost@riverside-clinic.org", "testclient"))
    # The same words as for a real account: nothing tells whether it exists.
    paused = sign_in(client, "ghost@riverside-clinic.org", "whatever password 1")
    assert one(html(paused), ".alert-error").text().startswith(PAUSED)


def test_many_failures_from_one_address_pause_that_address(harness, client):
    victims = [harness.run(make_staff, "receptionist") for _ in range(5)]
    start = dt.datetime.now(dt.timezone.utc)
    for minute, victim in enumerate(victims):
        # Slowly enough to stay under the per-minute rate limit.
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=True):
            for _ in range(4):  # never enough to pause any one account
                assert sign_in(client, victim["email"], "guessing passwords").status_code == 422
    assert harness.run(throttle.locked_until, throttle.address_key("testclient")) is not None
    fresh = harness.run(make_staff, "doctor")
    assert sign_in(client, fresh["email"], PASSWORD).status_code == 422


def test_sign_in_attempts_are_rate_limited(harness, client):
    responses = [sign_in(client, f"flood{n}@riverside-clinic.org", "x" * 12).status_code for n in range(25)]
    assert 429 in responses
    assert responses.index(429) == 20  # the 21st within a minute


def test_an_old_hash_is_upgraded_at_sign_in(harness, client):
    from argon2 import PasswordHasher

    staff = harness.run(make_staff, "billing")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    harness.run(Staff.update({Staff.password_hash: weak}).where(Staff.id == staff["id"]).run)
    assert sign_in(client, staff["email"], PASSWORD).status_code == 303
    stored = harness.sql("SELECT password_hash FROM staff WHERE id = {}", staff["id"])[0]["password_hash"]
    assert stored != weak and not HASHER.check_needs_rehash(stored)


def test_signing_in_issues_a_new_session_id(harness, client):
    """Session fixation: a token planted before sign-in is never the one used after."""
    staff = harness.run(make_staff, "doctor")
    client.cookies.set(domain="testserver.local", name="clinic_session", value="planted-by-attacker")
    sign_in(client, staff["email"], PASSWORD)
    assert client.cookies.get("clinic_session") not in (None, "planted-by-attacker")
    assert harness.sql("SELECT COUNT(*) AS n FROM staff_session WHERE token_hash = {}",
                       token_digest("planted-by-attacker"))[0]["n"] == 0


def test_a_deactivated_person_cannot_sign_in(harness, client):
    staff = harness.run(make_staff, "doctor", active=False)
    assert sign_in(client, staff["email"], PASSWORD).status_code == 422


def test_control_characters_cannot_smuggle_an_external_next():
    from clinic.accounts.controllers import safe_next

    for evil in ("/\t/evil.example", "/\r\n/evil.example", "/ /evil.example", "/\x00//evil"):
        assert safe_next(evil) == "/"
    assert safe_next("/patients/12") == "/patients/12"


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_saw(make_app, backend):
    with harness_for(make_app(CLINIC_PROXY_HOPS="1"), backend) as proxied:
        # The client forges a first hop; the proxy appends the address it really saw.
        post(proxied.client, "/signin", {"email": "nobody@riverside-clinic.org", "password": "not the password"},
             headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
        rows = proxied.audit("action = 'auth.login_failed'", columns="client_address")
    assert rows == [{"client_address": "203.0.113.9"}]



def test_the_front_desk_lands_in_the_appointment_book(harness, client):
    receptionist = harness.run(make_staff, "receptionist")
    response = sign_in(client, receptionist["email"], PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/book"


def test_a_doctor_going_nowhere_in_particular_lands_on_today(harness, client):
    doctor = harness.run(make_staff, "doctor")
    response = sign_in(client, doctor["email"], PASSWORD)
    assert response.headers["location"] == "/"
