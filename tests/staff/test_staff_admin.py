"""Administrators manage staff: list, create, edit, roles, access, sessions."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.security.sessions import token_digest
from tests.factories import PASSWORD, make_staff, open_session, post, sign_in_as
from tests.helpers import html, is_fragment, one, texts


def test_the_list_searches_filters_sorts_and_pages(harness, client):
    sign_in_as(harness, "admin", name="Zed Admin")
    for n in range(30):
        harness.run(make_staff, "nurse" if n % 2 else "doctor", name=f"Person {n:02d} Smith")
    harness.run(make_staff, "billing", name="Inactive Ingrid", active=False)
    first = html(client.get("/admin/staff?sort=name"))
    assert len(first.css("tr[data-staff-id]")) == 25
    assert "Page 1 of 2" in first.css_first(".pagination").text()
    second = html(client.get("/admin/staff?sort=name&page=2"))
    assert len(second.css("tr[data-staff-id]")) == 6
    fragment = client.get("/admin/staff?q=person 0&role=doctor", headers={"HX-Request": "true"})
    assert is_fragment(fragment)
    names = texts(html(fragment), "tr[data-staff-id] td a")
    assert names == ["Person 00 Smith", "Person 02 Smith", "Person 04 Smith", "Person 06 Smith", "Person 08 Smith"]
    inactive = html(client.get("/admin/staff?status=inactive"))
    assert texts(inactive, "tr[data-staff-id] td a") == ["Inactive Ingrid"]
    empty = html(client.get("/admin/staff?q=nobody-by-this-name"))
    assert one(empty, ".empty").text() == "Nobody matches these filters."


def test_unknown_sort_and_filter_values_are_ignored_not_run(harness, client):
    sign_in_as(harness, "admin")
    for evil in ("name;DROP TABLE staff", "(SELECT 1)", "id desc", "-last_sign_in_at"):
        response = client.get("/admin/staff", params={"sort": evil, "role": evil, "status": evil})
        assert response.status_code == 200
    assert harness.sql("SELECT COUNT(*) AS n FROM staff")[0]["n"] == 1


def test_creating_an_account_validates_and_keeps_what_was_typed(harness, client):
    sign_in_as(harness, "admin")
    harness.run(make_staff, "doctor", email="taken@riverside-clinic.org")
    bad = post(client, "/admin/staff/new", {"full_name": "", "email": "not-an-email", "role": "wizard",
                                            "display_name": "Dr. X"}, htmx=True)
    assert bad.status_code == 422 and is_fragment(bad)
    tree = html(bad)
    assert tree.css_first("#e-full_name").text() == "Enter the person's full name."
    assert tree.css_first("#e-email").text().startswith("Enter a valid email address")
    assert tree.css_first("#e-role").text() == "Choose a role."
    assert tree.css_first("input[name=display_name]").attributes["value"] == "Dr. X"
    duplicate = post(client, "/admin/staff/new", {"full_name": "Ann Other", "email": "TAKEN@riverside-clinic.org",
                                                  "role": "nurse"}, htmx=True)
    assert html(duplicate).css_first("#e-email").text() == "Someone on the staff already uses this email address."


def test_a_new_account_gets_a_temporary_password_shown_once(harness, client):
    sign_in_as(harness, "admin")
    created = post(client, "/admin/staff/new", {"full_name": "Maya Brooks", "email": "maya@riverside-clinic.org",
                                                "role": "nurse", "colour": "amber"})
    password = one(html(created), "[data-testid=temporary-password]").text()
    row = harness.sql("SELECT id, role, colour, must_change_password, password_hash FROM staff WHERE email_key = {}",
                      "maya@riverside-clinic.org")[0]
    assert row["role"] == "nurse" and row["colour"] == "amber" and row["must_change_password"]
    assert password not in row["password_hash"]
    client.cookies.clear()
    first = post(client, "/signin", {"email": "maya@riverside-clinic.org", "password": password})
    assert first.headers["location"].startswith("/account/password")


def test_editing_details(harness, client):
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


def test_reset_password_and_reset_mfa(harness, client):
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


def test_missing_staff_is_a_404(harness, client):
    sign_in_as(harness, "admin")
    assert client.get("/admin/staff/999999").status_code == 404
    assert post(client, "/admin/staff/999999/deactivate").status_code == 404


def test_the_permission_matrix_is_shown_read_only(harness, client):
    from clinic.admin.security_controllers import permissions_in_use
    from clinic.security.permissions import MATRIX, Role

    sign_in_as(harness, "admin")
    tree = html(client.get("/admin/permissions"))
    in_use = permissions_in_use(harness.app)
    for role in Role:
        allowed = {row.attributes["data-permission"] for row in tree.css("tr[data-permission]")
                   if row.css_first(f"td[data-role={role.value}] .yes") is not None}
        assert allowed == set(MATRIX[role]) & in_use
    assert tree.css("main form") == []  # nothing to change here


def test_the_permission_page_lists_only_what_the_clinic_can_do_and_speaks_plainly(harness, client):
    sign_in_as(harness, "admin")
    tree = html(client.get("/admin/permissions"))
    listed = {row.attributes["data-permission"] for row in tree.css("tr[data-permission]")}
    # Nothing is built yet that writes prescriptions or invoices: not listed.
    assert "prescriptions.write" not in listed and "billing.write" not in listed
    assert {"patients.read", "clinical.read", "staff.manage"} <= listed
    text = tree.css_first("main").text()
    assert ".py" not in text and "clinical.read" not in text


def test_staff_names_are_escaped(harness, client):
    sign_in_as(harness, "admin")
    harness.run(make_staff, "nurse", name='Eve "><img src=x onerror=alert(1)>')
    page = client.get("/admin/staff")
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_the_staff_list_shows_who_cannot_sign_in_for_now(harness, client):
    from clinic.security import throttle

    sign_in_as(harness, "admin")
    locked = harness.run(make_staff, "nurse")
    harness.run(make_staff, "doctor")
    harness.run(throttle.note_failure, throttle.account_key(locked["email"]), 1, fixed_pause=throttle.CEILING_PAUSE)
    tree = html(client.get("/admin/staff"))
    paused = {row.attributes["data-staff-id"] for row in tree.css("tr[data-staff-id]")
              if row.css_first("[data-testid=locked]") is not None}
    assert paused == {str(locked["id"])}
