"""The note templates screen (administrators and doctors) and visits started from a template."""

from __future__ import annotations

import pytest

from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one, texts

OUTLINE = "## Wound\n? Site, size, appearance\nSite:\n\n## Dressing\nApplied:"


@pytest.mark.parametrize("role", ["admin", "doctor"])
def test_admins_and_doctors_define_templates(harness, client, role):
    sign_in_as(harness, role)
    page = html(client.get("/note-templates"))
    assert one(page, "textarea[name=outline]").text().startswith("## Subjective")
    added = post(client, "/note-templates", {"name": "Wound care", "visit_type": "Nurse visit", "outline": OUTLINE})
    assert added.status_code == 303
    rows = texts(html(client.get("/note-templates")), "tr[data-template-id] td")
    assert rows == ["Wound care", "Nurse visit", "Wound, Dressing", "Yes"]
    assert harness.audit("action = 'notes.template_create'", columns="action") == [
        {"action": "notes.template_create"}]


@pytest.mark.parametrize("role", ["nurse", "receptionist", "billing"])
def test_other_roles_cannot_open_the_templates_screen(harness, client, role):
    sign_in_as(harness, role)
    assert client.get("/note-templates").status_code == 403
    assert post(client, "/note-templates", {"name": "x", "outline": OUTLINE}).status_code == 403


def test_a_template_without_sections_comes_back_with_the_text_kept(harness, client):
    sign_in_as(harness, "doctor")
    response = post(client, "/note-templates", {"name": "Broken", "outline": "no heading here"}, htmx=True)
    assert response.status_code == 422 and is_fragment(response)
    tree = html(response)
    assert one(tree, "#new-template textarea[name=outline]").text() == "no heading here"
    assert "## Subjective" in one(tree, "#e-outline").text()


def test_a_template_is_edited_with_a_version_check_and_can_be_withdrawn(harness, client):
    sign_in_as(harness, "doctor")
    post(client, "/note-templates", {"name": "Wound care", "outline": OUTLINE})
    template_id = harness.sql("SELECT id FROM note_template")[0]["id"]
    saved = post(client, f"/note-templates/{template_id}",
                 {"name": "Wound care", "outline": OUTLINE, "version": "1"})  # "active" unticked
    assert saved.status_code == 303
    assert harness.sql("SELECT active, version FROM note_template")[0]["version"] == 2
    stale = post(client, f"/note-templates/{template_id}",
                 {"name": "Renamed", "outline": OUTLINE, "active": "1", "version": "1"}, htmx=True)
    assert stale.status_code == 422 and "Someone else saved" in stale.text
    assert one(html(stale), "input[name=name]").attributes["value"] == "Renamed"


def test_a_visit_starts_from_the_chosen_template(harness, client):
    sign_in_as(harness, "doctor")
    post(client, "/note-templates", {"name": "Wound care", "outline": OUTLINE})
    template_id = harness.sql("SELECT id FROM note_template")[0]["id"]
    patient_id = harness.run(make_patient)
    form = html(client.get(f"/patients/{patient_id}/visits/new"))
    assert [o.text() for o in form.css("select[name=template_id] option")][1:] == ["Wound care"]
    opened = post(client, f"/patients/{patient_id}/visits", {"template_id": str(template_id)})
    page = html(client.get(opened.headers["location"]))
    assert [n.text(strip=True) for n in page.css("form[data-autosave] label")] == ["Wound", "Dressing"]
    assert one(page, "#text-wound").text() == "Site:"
    assert one(page, "#prompt-wound").text() == "Site, size, appearance"


def test_favourite_codes_are_kept_on_the_templates_screen(harness, client):
    from tests.visits.visit_factories import load_sample_codes

    sign_in_as(harness, "doctor")
    harness.run(load_sample_codes)
    added = post(client, "/note-templates/favourites", {"favourite_code": "i10"}, htmx=True)
    assert [n.attributes["data-favourite"] for n in html(added).css("[data-favourite]")] == ["I10"]
    heading = post(client, "/note-templates/favourites", {"favourite_code": "E11"}, htmx=True)
    assert heading.status_code == 422 and "heading" in heading.text
    removed = post(client, "/note-templates/favourites/remove", {"favourite_code": "I10"}, htmx=True)
    assert not html(removed).css("[data-favourite]")
