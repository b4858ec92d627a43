"""Signing in and out: passwords, lockout, rate limits, sessions, CSRF."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.security import throttle
from clinic.security.passwords import HASHER
from clinic.security.sessions import token_digest
from clinic.security.tables import Staff
from tests.factories import PASSWORD, make_staff, post, sign_in_as
from tests.helpers import html, one

GENERIC = "That email and password did not work."
PAUSED = "Signing in is paused for a few minutes"


def sign_in(client, email, password, next_path="/"):
    return post(client, "/signin", {"email": email, "password": password, "next": next_path})


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


def test_an_administrator_can_unlock_a_paused_account(harness, client):
    staff = harness.run(make_staff, "nurse")
    for _ in range(5):
        sign_in(client, staff["email"], "wrong password here")
    admin = sign_in_as(harness, "admin")
    assert admin
    page = client.get(f"/admin/staff/{staff['id']}")
    assert "Paused at 1 address" in page.text
    response = post(client, f"/admin/staff/{staff['id']}/unlock", htmx=True)
    assert response.status_code == 200 and "Sign-in unlocked." in response.text
    client.cookies.clear()
    assert sign_in(client, staff["email"], PASSWORD).status_code == 303


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


def test_a_cookie_the_server_never_issued_is_ignored_and_cleared(harness, client):
    client.cookies.set(domain="testserver.local", name="clinic_session", value="attacker-chosen-session-id")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert 'clinic_session=""' in response.headers["set-cookie"] or "clinic_session=;" in response.headers["set-cookie"]


def test_signing_in_issues_a_new_session_id(harness, client):
    """Session fixation: a token planted before sign-in is never the one used after."""
    staff = harness.run(make_staff, "doctor")
    client.cookies.set(domain="testserver.local", name="clinic_session", value="planted-by-attacker")
    sign_in(client, staff["email"], PASSWORD)
    assert client.cookies.get("clinic_session") not in (None, "planted-by-attacker")
    assert harness.sql("SELECT COUNT(*) AS n FROM staff_session WHERE token_hash = {}",
                       token_digest("planted-by-attacker"))[0]["n"] == 0


def test_sign_out_ends_the_session_on_the_server(harness, client):
    staff = sign_in_as(harness, "nurse")
    old_token = staff["token"]
    response = post(client, "/signout")
    assert response.status_code == 303 and response.headers["location"] == "/signin?reason=signed_out"
    assert response.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    ended = harness.sql("SELECT ended_at, end_reason FROM staff_session WHERE staff = {}", staff["id"])
    assert ended[0]["ended_at"] is not None and ended[0]["end_reason"] == "signed out"
    client.cookies.set(domain="testserver.local", name="clinic_session", value=old_token)  # a stolen copy no longer works
    assert client.get("/", follow_redirects=False).status_code == 303


def test_idle_sessions_end_and_htmx_gets_a_redirect_not_a_fragment(harness, client):
    sign_in_as(harness, "receptionist")
    assert client.get("/").status_code == 200
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16), tick=True):
        fragment = client.get("/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver.local/"})
        assert fragment.status_code == 401
        assert fragment.headers["hx-redirect"] == "/signin?next=/&reason=idle"
        assert fragment.text == ""
    reasons = harness.sql("SELECT end_reason FROM staff_session")
    assert reasons == [{"end_reason": "idle"}]


def test_activity_keeps_a_session_alive_but_not_past_twelve_hours(harness, client):
    sign_in_as(harness, "doctor")
    start = dt.datetime.now(dt.timezone.utc)
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=True):
            assert client.get("/session/keepalive", follow_redirects=False).status_code in (405, 200)
            assert post(client, "/session/keepalive").status_code == 204
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1), tick=True):
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 303 and "reason=expired" in response.headers["location"]


def test_asking_how_long_is_left_does_not_extend_the_session(harness, client):
    sign_in_as(harness, "receptionist")
    start = dt.datetime.now(dt.timezone.utc)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=True):
        left = client.get("/session/status").json()["seconds_left"]
        assert 290 <= left <= 300
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=5), tick=True):
        assert client.get("/", follow_redirects=False).status_code == 303


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(harness, client):
    staff = sign_in_as(harness, "nurse")
    response = client.post("/signout", follow_redirects=False)
    assert response.status_code == 403
    fragment = client.post("/signout", headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert fragment.status_code == 403
    assert harness.sql("SELECT ended_at FROM staff_session WHERE staff = {}", staff["id"])[0]["ended_at"] is None
    assert client.get("/").status_code == 200


def test_a_deactivated_person_cannot_sign_in(harness, client):
    staff = harness.run(make_staff, "doctor", active=False)
    assert sign_in(client, staff["email"], PASSWORD).status_code == 422


def test_a_temporary_password_must_be_changed_first(harness, client):
    staff = harness.run(make_staff, "receptionist", must_change_password=True)
    response = sign_in(client, staff["email"], PASSWORD, next_path="/account")
    assert response.headers["location"] == "/account/password?next=/account"
    assert client.get("/", follow_redirects=False).headers["location"] == "/account/password"
    weak = post(client, "/account/password", {"current_password": PASSWORD, "new_password": "password1234",
                                               "confirm_password": "password1234", "next": "/account"})
    assert weak.status_code == 422
    assert "too easy to guess" in html(weak).css_first("#e-new_password").text()
    done = post(client, "/account/password", {"current_password": PASSWORD,
                                               "new_password": "violet tram harbour 42",
                                               "confirm_password": "violet tram harbour 42", "next": "/account"})
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert client.get("/").status_code == 200
    client.cookies.clear()
    assert sign_in(client, staff["email"], "violet tram harbour 42").status_code == 303


def test_changing_ones_password_needs_the_current_one_and_signs_out_elsewhere(harness, client):
    staff = sign_in_as(harness, "doctor")
    other_browser = harness.run(__import__("tests.factories", fromlist=["open_session"]).open_session, staff["id"],
                                harness.app.state.session_policy)
    wrong = post(client, "/account/password", {"current_password": "not it at all", "new_password":
                                                "granite falcon meadow 9", "confirm_password": "granite falcon meadow 9"})
    assert wrong.status_code == 422 and html(wrong).css_first("#e-current_password") is not None
    ok = post(client, "/account/password", {"current_password": PASSWORD, "new_password": "granite falcon meadow 9",
                                             "confirm_password": "granite falcon meadow 9"})
    assert ok.status_code == 303
    assert client.get("/").status_code == 200  # this browser continues (under a new session id)
    ended = harness.sql("SELECT end_reason FROM staff_session WHERE token_hash = {}", token_digest(other_browser))
    assert ended == [{"end_reason": "password changed"}]


def test_control_characters_cannot_smuggle_an_external_next(harness, client):
    from clinic.accounts.controllers import safe_next

    for evil in ("/\t/evil.example", "/\r\n/evil.example", "/ /evil.example", "/\x00//evil"):
        assert safe_next(evil) == "/"
    assert safe_next("/patients/12") == "/patients/12"


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_saw(make_app, backend):
    from litestar.testing import TestClient

    from tests.conftest import Harness, empty_tables

    app = make_app(CLINIC_PROXY_HOPS="1")
    with TestClient(app, base_url="http://testserver.local") as proxied:
        harness = Harness(app=app, client=proxied, backend=backend)
        harness.run(empty_tables, app.state.engine)
        start = harness.sql("SELECT COALESCE(MAX(id), 0) AS n FROM audit_event")[0]["n"]
        # The client forges a first hop; the proxy appends the address it really saw.
        post(proxied, "/signin", {"email": "nobody@riverside-clinic.org", "password": "not the password"},
             headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
        rows = harness.sql("SELECT client_address FROM audit_event WHERE id > {} AND action = 'auth.login_failed'",
                           start)
    assert rows == [{"client_address": "203.0.113.9"}]
