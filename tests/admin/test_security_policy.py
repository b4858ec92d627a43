"""The security policy screen: who must use two-step sign-in."""

from __future__ import annotations

from tests.factories import make_staff, post, sign_in, sign_in_as


def test_the_clinic_can_require_mfa_for_everyone(harness, client):
    admin = sign_in_as(harness, "admin")
    assert admin
    response = post(client, "/admin/security", {"mfa_required_for": "everyone"}, htmx=True)
    assert response.status_code == 200 and "Security policy saved." in response.text
    client.cookies.clear()
    receptionist = harness.run(make_staff, "receptionist")
    assert sign_in(client, receptionist["email"]).headers["location"] == "/account/mfa/setup?next=/book"  # their home
    assert client.get("/", follow_redirects=False).headers["location"] == "/account/mfa/setup"
