"""Changing one's password, a temporary one first, and the password policy."""

from __future__ import annotations

from clinic.security.sessions import token_digest
from tests.factories import PASSWORD, make_staff, open_session, post, sign_in, sign_in_as
from tests.helpers import html


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
    other_browser = harness.run(open_session, staff["id"], harness.app.state.session_policy)
    wrong = post(client, "/account/password", {"current_password": "not it at all", "new_password":
                                                "granite falcon meadow 9", "confirm_password": "granite falcon meadow 9"})
    assert wrong.status_code == 422 and html(wrong).css_first("#e-current_password") is not None
    ok = post(client, "/account/password", {"current_password": PASSWORD, "new_password": "granite falcon meadow 9",
                                             "confirm_password": "granite falcon meadow 9"})
    assert ok.status_code == 303
    assert client.get("/").status_code == 200  # this browser continues (under a new session id)
    ended = harness.sql("SELECT end_reason FROM staff_session WHERE token_hash = {}", token_digest(other_browser))
    assert ended == [{"end_reason": "password changed"}]
