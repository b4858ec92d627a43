"""Set-up of the book: appointment types (name, length, colour, providers, rules)."""

from __future__ import annotations

import pytest

from tests.factories import make_staff, post, sign_in_as
from tests.helpers import html, is_fragment, one


def test_the_set_up_page_starts_empty_and_says_what_to_add(harness, client):
    sign_in_as(harness, "admin")
    page = html(client.get("/admin/clinic/book"))
    assert "No appointment types yet" in one(page, "#types .empty").text()
    assert "No rooms yet" in one(page, "#rooms .empty").text()


def test_it_is_reachable_from_the_clinic_settings(harness, client):
    sign_in_as(harness, "admin")
    page = html(client.get("/admin/clinic"))
    assert page.css_first('.page-head a[href="/admin/clinic/book"]') is not None


def test_a_type_is_added_with_the_providers_who_offer_it(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor", name="Ada Okafor")
    harness.run(make_staff, "nurse", name="Ben Nurse")
    response = post(client, "/admin/clinic/book/types/new", {
        "name": "Check-up", "minutes": "30", "colour": "indigo", "needs_room": "1", "active": "1",
        "providers": str(doctor["id"])})
    assert response.status_code == 303
    rows = harness.sql("SELECT * FROM appointment_type")
    assert [(r["name"], r["minutes"], r["colour"], bool(r["needs_room"]), bool(r["may_overlap"])) for r in rows] == [
        ("Check-up", 30, "indigo", True, False)]
    offered = harness.sql("SELECT provider FROM appointment_type_provider")
    assert [r["provider"] for r in offered] == [doctor["id"]]
    page = html(client.get("/admin/clinic/book"))
    row = one(page, f"tr[data-type-id='{rows[0]['id']}']")
    assert "Ada" in row.text() and "30 min" in row.text()
    assert harness.audit("action = 'scheduling.type_add'", columns="detail")[0]["detail"] == "Check-up"


def test_a_bad_type_comes_back_inline_with_everything_typed(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor")
    response = post(client, "/admin/clinic/book/types/new", {
        "name": "", "minutes": "²0", "colour": "indigo", "providers": str(doctor["id"])}, htmx=True,
        headers={"HX-Target": "type-form"})
    assert response.status_code == 422 and is_fragment(response)
    tree = html(response)
    assert one(tree, "#e-name").text() == "Enter the name."
    assert one(tree, "#e-minutes").text() == "Enter a whole number."
    assert "checked" in one(tree, f"#f-provider-{doctor['id']}").attributes
    assert one(tree, "#f-colour option[selected]").attributes["value"] == "indigo"


def test_two_types_cannot_share_a_name(harness, client):
    sign_in_as(harness, "admin")
    post(client, "/admin/clinic/book/types/new", {"name": "Injection", "minutes": "5", "active": "1"})
    response = post(client, "/admin/clinic/book/types/new", {"name": "injection", "minutes": "10"})
    assert response.status_code == 422
    assert one(html(response), "#e-name").text() == "There is already a type with this name."


def test_a_type_is_edited_and_may_stop_being_offered(harness, client):
    sign_in_as(harness, "admin")
    post(client, "/admin/clinic/book/types/new", {"name": "Injection", "minutes": "5", "active": "1"})
    type_id = harness.sql("SELECT id FROM appointment_type")[0]["id"]
    form = html(client.get(f"/admin/clinic/book/types/{type_id}"))
    assert one(form, "#f-name").attributes["value"] == "Injection"
    response = post(client, f"/admin/clinic/book/types/{type_id}", {"name": "Injection", "minutes": "10",
                                                                    "may_overlap": "1"})
    assert response.status_code == 303
    row = harness.sql("SELECT * FROM appointment_type")[0]
    assert row["minutes"] == 10 and bool(row["may_overlap"]) and not bool(row["active"])
    assert client.get("/admin/clinic/book/types/999999").status_code == 404


def test_a_provider_that_does_not_exist_is_refused(harness, client):
    sign_in_as(harness, "admin")
    response = post(client, "/admin/clinic/book/types/new", {"name": "X", "minutes": "5", "providers": "999999"})
    assert response.status_code == 422
    assert one(html(response), "#e-providers").text() == "Choose providers from the list."


@pytest.mark.parametrize("role", ["doctor", "nurse", "receptionist", "billing"])
def test_only_administrators_set_up_the_book(harness, client, role):
    sign_in_as(harness, role)
    assert client.get("/admin/clinic/book").status_code == 403
    assert post(client, "/admin/clinic/book/types/new", {"name": "Mine", "minutes": "5"}).status_code == 403
