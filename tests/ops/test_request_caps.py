"""Bodies larger than the clinic accepts are refused with a clear 413, as a page or for htmx."""

from __future__ import annotations

from tests.factories import csrf_token, sign_in_as
from tests.helpers import html, one

TOO_LARGE = b"q=" + b"x" * (2 * 1024 * 1024 + 1)


def test_a_body_over_two_megabytes_is_refused_with_a_clear_413_page(harness, client):
    sign_in_as(harness, "receptionist")
    response = client.post("/patients/search", content=TOO_LARGE, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrf_token(client)})
    assert response.status_code == 413
    assert one(html(response), ".alert-error strong").text() == "Too large"


def test_htmx_hears_the_413_in_the_alerts_area(harness, client):
    sign_in_as(harness, "receptionist")
    response = client.post("/patients/search", content=TOO_LARGE, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrf_token(client), "HX-Request": "true"})
    assert response.status_code == 413 and response.headers["hx-retarget"] == "#alerts"
    assert "<html" not in response.text.lower() and "Too large" in response.text
