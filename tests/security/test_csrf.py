"""CSRF tokens belong to the session: a token from another page's session (or none) changes nothing."""

from __future__ import annotations

import datetime as dt

import time_machine

from tests.factories import PASSWORD, make_staff, post, sign_in_as
from tests.helpers import html, one


def page_token(client, url: str) -> str:
    """The token a page gives: the meta tag htmx reads, and the same in every form."""
    tree = html(client.get(url))
    token = one(tree, 'meta[name="csrf-token"]').attributes["content"]
    assert token and all(node.attributes["value"] == token for node in tree.css("input[name=_csrf_token]"))
    return token


def session_ended(harness, staff_id: int) -> bool:
    rows = harness.sql("SELECT ended_at FROM staff_session WHERE staff = {}", staff_id)
    return any(row["ended_at"] is not None for row in rows)


def sign_out_with(client, token: str, *, as_form: bool = False):
    if as_form:
        return client.post("/signout", data={"_csrf_token": token}, follow_redirects=False)
    return client.post("/signout", headers={"X-CSRFToken": token}, follow_redirects=False)


def test_a_token_from_an_anonymous_page_is_refused_with_a_signed_in_session(harness, client):
    anonymous = page_token(client, "/signin")
    staff = sign_in_as(harness, "doctor")
    for as_form in (False, True):
        assert sign_out_with(client, anonymous, as_form=as_form).status_code == 403
    assert not session_ended(harness, staff["id"])
    assert client.get("/").status_code == 200


def test_a_token_from_before_sign_in_no_longer_works_after_it(harness, client):
    staff = harness.run(make_staff, "nurse")
    before = page_token(client, "/signin")
    signed_in = client.post("/signin", data={"email": staff["email"], "password": PASSWORD, "next": "/",
                                             "_csrf_token": before}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert sign_out_with(client, before).status_code == 403
    assert not session_ended(harness, staff["id"])
    after = page_token(client, "/account")
    assert after != before
    assert sign_out_with(client, after).status_code == 303
    assert session_ended(harness, staff["id"])


def test_another_sessions_token_is_refused(harness, client):
    first = sign_in_as(harness, "receptionist")
    first_token = page_token(client, "/account")
    second = sign_in_as(harness, "receptionist")  # the same browser, someone else signed in
    assert sign_out_with(client, first_token).status_code == 403
    assert not session_ended(harness, first["id"]) and not session_ended(harness, second["id"])


def test_open_pages_keep_working_when_the_session_cookie_is_renewed(harness, client):
    sign_in_as(harness, "billing")
    token = page_token(client, "/account")
    changed = post(client, "/account/password", {"current_password": PASSWORD,
                                                  "new_password": "granite falcon meadow 9",
                                                  "confirm_password": "granite falcon meadow 9"})
    assert changed.status_code == 303  # a new session cookie, the same session
    kept = client.post("/session/keepalive", headers={"X-CSRFToken": token}, follow_redirects=False)
    assert kept.status_code == 204


def test_the_sign_in_form_is_still_protected(harness, client):
    staff = harness.run(make_staff, "doctor")
    fields = {"email": staff["email"], "password": PASSWORD, "next": "/"}
    page_token(client, "/signin")  # the browser has its cookie
    for token in ("", "forged", "0" * 64):
        response = client.post("/signin", data={**fields, "_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403
    # A token made for another browser's cookie is refused too.
    other = page_token(client, "/signin")
    client.cookies.set("csrftoken", "someone-elses-cookie", domain="testserver.local")
    assert client.post("/signin", data={**fields, "_csrf_token": other}, follow_redirects=False).status_code == 403
    assert harness.sql("SELECT COUNT(*) AS n FROM staff_session")[0]["n"] == 0


def test_a_form_left_open_past_the_idle_timeout_is_sent_to_sign_in_not_refused(harness, client):
    sign_in_as(harness, "nurse")
    token = page_token(client, "/account")
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16), tick=True):
        response = client.post("/session/keepalive", headers={"X-CSRFToken": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("reason=idle")


def test_the_refusal_says_to_reload_the_page(harness, client):
    sign_in_as(harness, "doctor")
    refused = sign_out_with(client, "forged")
    assert refused.status_code == 403
    assert "Reload the page and try again" in refused.text
