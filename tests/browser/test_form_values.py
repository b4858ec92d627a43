"""What the form walk types and how it names routes: plain rules, no browser."""

from __future__ import annotations

from tests.browser.crawl import not_walked
from tests.browser.form_values import TOO_LONG, invalid_value, valid_value
from tests.browser.pages import Field, Routes, fields_of


class FakeForm:
    page_url = "/patients/7/merge"
    action_shape = "/patients/{patient_id}/merge"


def test_invalid_values_follow_the_kind_of_field():
    assert invalid_value(Field("email", "email")) == "hannah@"
    assert invalid_value(Field("emergency_contact_phone", "tel")) == "12345"
    assert invalid_value(Field("pulse", "text", inputmode="decimal")) == "abc"
    assert invalid_value(Field("start_date", "text")) == "2026-13-45"
    assert invalid_value(Field("city", "text")) == TOO_LONG
    assert invalid_value(Field("notes", "textarea")) == TOO_LONG


def test_there_is_no_invalid_value_a_browser_would_let_through_for_pickers_and_capped_fields():
    for field in (Field("sex", "select", options=("", "female")), Field("given_on", "date"),
                  Field("mfa_required_for", "radio", options=("admins", "everyone")),
                  Field("current_password", "password"), Field("code", "text", maxlength=7)):
        assert invalid_value(field) is None, field


def test_valid_values_come_by_name_then_by_kind():
    assert valid_value(Field("first_name", "text"), FakeForm(), None) == "Hannah"
    assert valid_value(Field("contact", "email"), FakeForm(), None) == "walk@example.org"
    assert valid_value(Field("fax_phone", "text"), FakeForm(), None) == "(415) 555-0101"
    assert valid_value(Field("colour", "select", options=("", "teal", "plum")), FakeForm(), None) == "teal"


def test_an_unknown_text_field_has_no_valid_value_so_the_walk_names_it():
    assert valid_value(Field("favourite_biscuit", "text"), FakeForm(), None) is None


def test_a_merge_is_into_another_patient_than_the_page_s():
    class Clinic:
        mrns = {7: "7000007", 8: "8000008"}

    assert valid_value(Field("survivor_mrn", "text"), FakeForm(), Clinic()) == "8000008"


def test_a_radio_group_becomes_one_field_with_its_values():
    raw = [{"name": "who", "kind": "radio", "inputmode": "", "maxlength": None, "options": [value]}
           for value in ("admins", "everyone")]
    assert fields_of(raw) == (Field("who", "radio", options=("admins", "everyone")),)


def test_forms_that_would_end_the_walk_are_not_walked():
    assert not_walked("/signout", 3)
    assert not_walked("/admin/staff/3/deactivate", 3)
    assert not_walked("/admin/staff/4/deactivate", 3) is None
    assert not_walked("/patients/1/edit", 3) is None


def test_urls_are_named_by_the_app_s_own_route_templates(browser_settings):
    from clinic.app import create_app

    routes = Routes(create_app(browser_settings))
    assert routes.template("/patients/12") == "/patients/{patient_id}"
    assert routes.template("/patients/new") == "/patients/new"
    assert routes.shape("/patients/12/chart/allergies/3/status") == \
        "/patients/{patient_id}/chart/allergies/{entry_id}/status"
    assert routes.template("/nowhere/at/all") is None
