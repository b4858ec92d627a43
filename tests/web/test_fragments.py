"""htmx fragments carry their own target, confirmations reach the live region, redirects carry them."""

from __future__ import annotations

from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one


def test_a_fragment_without_the_element_htmx_swaps_fails_loudly_in_development(harness, client):
    sign_in_as(harness, "receptionist")
    ok = client.get("/patients", headers={"HX-Request": "true", "HX-Target": "patient-rows"})
    assert ok.status_code == 200 and html(ok).css_first("#patient-rows") is not None
    wrong = client.get("/patients", headers={"HX-Request": "true", "HX-Target": "somewhere-else"})
    assert wrong.status_code == 500


def test_in_production_a_mismatched_fragment_is_logged_not_refused(make_app, database_url):
    from litestar.testing import TestClient

    from tests.conftest import TEST_AUDIT_KEY, TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY, TEST_SECRET
    from tests.factories import make_staff, open_session

    app = make_app(CLINIC_ENV="production", CLINIC_SECRET_KEY=TEST_SECRET, CLINIC_AUDIT_KEY=TEST_AUDIT_KEY,
                   CLINIC_ENCRYPTION_KEYS=TEST_ENCRYPTION_KEYS, CLINIC_INDEX_KEY=TEST_INDEX_KEY,
                   CLINIC_WORKER="off")
    with TestClient(app, base_url="https://testserver.local") as client:
        staff = client.blocking_portal.call(make_staff, "receptionist")
        token = client.blocking_portal.call(open_session, staff["id"], app.state.session_policy)
        client.cookies.set("__Host-clinic_session", token, domain="testserver.local")
        response = client.get("/patients", headers={"HX-Request": "true", "HX-Target": "somewhere-else"})
        assert response.status_code == 200


def test_a_saved_fragment_announces_its_confirmation_in_the_live_region(harness, client):
    sign_in_as(harness, "admin")
    response = post(client, "/admin/clinic/closures", {"first_day": "2099-12-24", "last_day": "2099-12-26",
                                                       "reason": "Holidays"}, htmx=True)
    assert response.status_code == 200 and is_fragment(response)
    notice = one(html(response), "[hx-swap-oob='innerHTML:#alerts'] .alert-ok")
    assert notice.text() == "Closure added." and notice.attributes["role"] == "status"


def test_a_confirmation_survives_the_redirect_after_a_save_and_shows_once(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    version = harness.sql("SELECT version FROM patient WHERE id = {}", patient_id)[0]["version"]
    saved = post(client, f"/patients/{patient_id}/edit", {
        "first_name": "Maria", "last_name": "Garcia", "date_of_birth": "1980-03-15", "sex": "female",
        "version": str(version)})
    assert saved.status_code == 303 and saved.headers["location"] == f"/patients/{patient_id}"
    first = html(client.get(f"/patients/{patient_id}"))
    assert one(first, "#alerts .alert-ok").text() == "Details saved."
    again = html(client.get(f"/patients/{patient_id}"))
    assert again.css_first("#alerts .alert-ok") is None


def test_an_htmx_save_navigates_with_hx_redirect(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    archived = post(client, f"/patients/{patient_id}/archive", {}, htmx=True)
    assert archived.status_code == 200 and archived.headers["hx-redirect"] == f"/patients/{patient_id}"


def test_pages_say_utf_8_once(harness, client):
    sign_in_as(harness, "receptionist")
    assert client.get("/patients").headers["content-type"] == "text/html; charset=utf-8"
    fragment = client.get("/patients", headers={"HX-Request": "true"})
    assert fragment.headers["content-type"] == "text/html; charset=utf-8"
