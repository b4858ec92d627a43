"""One person on the staff: details, role, access, password and two-step resets, sessions."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.security.sessions import token_digest
from tests.factories import PASSWORD, make_staff, open_session, post, sign_in, sign_in_as
from tests.helpers import html, one


def test_an_administrator_changes_someones_details(harness, client):
    sign_in_as(harness, "admin")
    nurse = harness.run(make_staff, "nurse")
    response = post(client, f"/admin/staff/{nurse['id']}", {"full_name": "Renamed Nurse", "display_name": "Nurse R",
                                                            "email": nurse["email"], "colour": "rose"}, htmx=True)
    assert response.status_code == 200
    assert html(response).css_first("[hx-swap-oob] .alert-ok").text() == "Details saved."
    assert harness.sql("SELECT full_name, colour FROM staff WHERE id = {}", nurse["id"]) == [
        {"full_name": "Renamed Nurse", "colour": "rose"}]
    bad = post(client, f"/admin/staff/{nurse['id']}", {"full_name": "Renamed Nurse", "email": "x", "colour": "plaid"},
               htmx=True)
    assert bad.status_code == 422 and html(bad).css_first("#e-colour") is not None


def test_changing_a_role_ends_that_persons_sessions(harness, client):
    sign_in_as(harness, "admin")
    nurse = harness.run(make_staff, "nurse")
    token = harness.run(open_session, nurse["id"], harness.app.state.session_policy)
    response = post(client, f"/admin/staff/{nurse['id']}/role", {"role": "receptionist"}, htmx=True)
    assert response.status_code == 200 and "Role changed" in response.text
    assert harness.sql("SELECT role FROM staff WHERE id = {}", nurse["id"]) == [{"role": "receptionist"}]
    assert harness.sql("SELECT end_reason FROM staff_session WHERE token_hash = {}", token_digest(token)) == [
        {"end_reason": "role changed"}]


def test_deactivating_ends_sessions_and_blocks_sign_in_and_reactivating_restores_it(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor")
    token = harness.run(open_session, doctor["id"], harness.app.state.session_policy)
    post(client, f"/admin/staff/{doctor['id']}/deactivate", htmx=True)
    assert harness.sql("SELECT end_reason FROM staff_session WHERE token_hash = {}", token_digest(token)) == [
        {"end_reason": "deactivated"}]
    client.cookies.clear()
    assert post(client, "/signin", {"email": doctor["email"], "password": PASSWORD}).status_code == 422
    sign_in_as(harness, "admin")
    post(client, f"/admin/staff/{doctor['id']}/reactivate", htmx=True)
    client.cookies.clear()
    assert post(client, "/signin", {"email": doctor["email"], "password": PASSWORD}).status_code == 303
    assert harness.sql("SELECT COUNT(*) AS n FROM staff WHERE id = {}", doctor["id"])[0]["n"] == 1  # never deleted


def test_the_last_active_administrator_cannot_be_removed(harness, client):
    admin = sign_in_as(harness, "admin")
    demote = post(client, f"/admin/staff/{admin['id']}/role", {"role": "doctor"}, htmx=True)
    assert demote.status_code == 409 and "at least one active administrator" in demote.text
    other = harness.run(make_staff, "admin")
    harness.run(make_staff, "admin", active=False)  # an inactive admin does not count
    deactivate = post(client, f"/admin/staff/{other['id']}/deactivate", htmx=True)
    assert deactivate.status_code == 200
    again = post(client, f"/admin/staff/{admin['id']}/role", {"role": "doctor"}, htmx=True)
    assert again.status_code == 409
    assert harness.sql("SELECT role, active FROM staff WHERE id = {}", admin["id"]) == [{"role": "admin", "active": True}]


def test_an_administrator_resets_someones_password_and_two_step_sign_in(harness, client):
    from clinic.security import mfa

    sign_in_as(harness, "admin")
    keyring = harness.app.state.settings.keyring
    doctor = harness.run(make_staff, "doctor", totp_secret=mfa.new_secret(), keyring=keyring)
    reset = post(client, f"/admin/staff/{doctor['id']}/reset-password")
    temporary = one(html(reset), "[data-testid=temporary-password]").text()
    assert len(temporary) == 19
    assert harness.sql("SELECT must_change_password FROM staff WHERE id = {}", doctor["id"])[0]["must_change_password"]
    post(client, f"/admin/staff/{doctor['id']}/reset-mfa")
    row = harness.sql("SELECT mfa_enabled, totp_secret FROM staff WHERE id = {}", doctor["id"])[0]
    assert row == {"mfa_enabled": False, "totp_secret": ""}
    actions = [r["action"] for r in harness.audit("entity_id = {}", str(doctor["id"]), columns="action")]
    assert "staff.password_reset" in actions and "staff.mfa_reset" in actions


def test_sensitive_actions_ask_for_the_password_after_ten_minutes(harness, client):
    sign_in_as(harness, "admin")
    nurse = harness.run(make_staff, "nurse")
    start = dt.datetime.now(dt.timezone.utc)
    for minute in (5, 10, 14):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=True):
            client.get("/admin/staff")
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=True):
        response = post(client, f"/admin/staff/{nurse['id']}/reset-password")
        assert response.status_code == 303
        assert response.headers["location"] == f"/account/confirm?next=/admin/staff/{nurse['id']}/reset-password"
        htmx = post(client, f"/admin/staff/{nurse['id']}/role", {"role": "doctor"}, htmx=True,
                    headers={"HX-Current-URL": f"http://testserver.local/admin/staff/{nurse['id']}"})
        assert htmx.status_code == 403 and htmx.headers["hx-redirect"] == f"/account/confirm?next=/admin/staff/{nurse['id']}"
        assert harness.sql("SELECT role FROM staff WHERE id = {}", nurse["id"]) == [{"role": "nurse"}]
        confirmed = post(client, "/account/confirm", {"password": PASSWORD, "next": f"/admin/staff/{nurse['id']}"})
        assert confirmed.headers["location"] == f"/admin/staff/{nurse['id']}"
        assert post(client, f"/admin/staff/{nurse['id']}/role", {"role": "doctor"}, htmx=True).status_code == 200


def test_an_administrator_sees_and_ends_someones_sessions(harness, client):
    sign_in_as(harness, "admin")
    nurse = harness.run(make_staff, "nurse")
    token = harness.run(open_session, nurse["id"], harness.app.state.session_policy)
    page = html(client.get(f"/admin/staff/{nurse['id']}"))
    rows = page.css("#staff-sessions tr[data-session-id]")
    assert len(rows) == 1
    session_id = rows[0].attributes["data-session-id"]
    ended = post(client, f"/admin/staff/{nurse['id']}/sessions/{session_id}/end", htmx=True)
    assert ended.status_code == 200 and html(ended).css("#staff-sessions tr[data-session-id]") == []
    assert harness.sql("SELECT end_reason FROM staff_session WHERE token_hash = {}", token_digest(token)) == [
        {"end_reason": "ended by administrator"}]
    other = harness.run(make_staff, "doctor")
    foreign = post(client, f"/admin/staff/{other['id']}/sessions/{session_id}/end", htmx=True)
    assert foreign.status_code == 404


def test_someone_not_on_the_staff_is_a_404(harness, client):
    sign_in_as(harness, "admin")
    assert client.get("/admin/staff/999999").status_code == 404
    assert post(client, "/admin/staff/999999/deactivate").status_code == 404


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
