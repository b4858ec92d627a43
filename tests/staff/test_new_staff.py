"""Creating a staff account: checked, and a temporary password shown once."""

from __future__ import annotations

from tests.factories import make_staff, post, sign_in_as
from tests.helpers import html, is_fragment, one


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
