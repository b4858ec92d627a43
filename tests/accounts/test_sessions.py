"""A signed-in session: kept alive by activity, ended by idling, by time and by signing out."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.security import mfa
from tests.factories import PASSWORD, make_staff, post, sign_in, sign_in_as


def test_a_cookie_the_server_never_issued_is_ignored_and_cleared(harness, client):
    client.cookies.set(domain="testserver.local", name="clinic_session", value="attacker-chosen-session-id")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert 'clinic_session=""' in response.headers["set-cookie"] or "clinic_session=;" in response.headers["set-cookie"]


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


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(harness, client):
    staff = sign_in_as(harness, "nurse")
    response = client.post("/signout", follow_redirects=False)
    assert response.status_code == 403
    fragment = client.post("/signout", headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert fragment.status_code == 403
    assert harness.sql("SELECT ended_at FROM staff_session WHERE staff = {}", staff["id"])[0]["ended_at"] is None
    assert client.get("/").status_code == 200


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


def session_cookies(response) -> list[str]:
    return [value for value in response.headers.get_list("set-cookie") if value.startswith("clinic_session=")]


def test_the_session_cookie_ends_with_the_browser_the_server_keeps_the_limits(harness, client):
    """On a shared clinic PC, closing the browser forgets the session; idle and 12-hour limits are the server's."""
    secret = mfa.new_secret()
    doctor = harness.run(make_staff, "doctor", totp_secret=secret, keyring=harness.app.state.settings.keyring)
    with time_machine.travel(dt.datetime(2026, 11, 23, 14, 0, 5, tzinfo=dt.timezone.utc), tick=True):
        password_step = sign_in(client, doctor["email"], PASSWORD)
        code_step = post(client, "/signin/mfa", {"code": mfa.code_for(secret), "next": "/"})
        assert code_step.headers["location"] == "/"
    for response in (password_step, code_step):
        [cookie] = session_cookies(response)
        attributes = {part.split("=")[0].strip().lower() for part in cookie.split(";")[1:]}
        assert "max-age" not in attributes and "expires" not in attributes, cookie
        assert {"httponly", "path", "samesite"} <= attributes
