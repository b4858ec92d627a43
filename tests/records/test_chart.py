"""The chart page: sections by role, fragments, refreshes, break-the-glass, reveals, one audit entry per view."""

from __future__ import annotations

from tests.factories import add_chart_entry, make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one

SECTIONS = ("allergies", "medications", "problems", "history", "immunizations")


def test_a_doctor_sees_every_section_on_one_page_and_the_view_is_audited_once(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient, national_id="123-45-6789")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin", severity="severe",
                reaction="Hives")
    chart = html(client.get(f"/patients/{patient_id}"))
    assert "Penicillin (severe)" in one(chart, "[data-testid=allergy-banner]").text()
    shown = {node.attributes["id"] for node in chart.css("section.chart-section")}
    assert {f"section-{key}" for key in SECTIONS} | {"section-vitals", "section-visits", "timeline", "insurance"} == shown
    assert chart.css("[hx-trigger=load]") == []  # nothing left to fetch: one request, one audit entry
    reads = harness.audit("action = 'patient.read' AND staff_id = {} AND patient_id = {}", doctor["id"], patient_id,
                          columns="detail")
    assert reads == [{"detail": "chart"}]


def test_each_section_is_also_a_fragment_and_its_read_is_audited(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    urls = [f"/patients/{patient_id}/chart/{key}" for key in SECTIONS] + [
        f"/patients/{patient_id}/vitals", f"/patients/{patient_id}/timeline", f"/patients/{patient_id}/insurance"]
    for url in urls:
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and is_fragment(fragment), url
    reads = harness.audit("action = 'patient.read' AND staff_id = {} AND patient_id = {}", doctor["id"], patient_id,
                          columns="detail")
    assert sorted(row["detail"] for row in reads) == sorted(["insurance", "timeline", "vitals", *SECTIONS])


def test_a_receptionist_sees_demographics_not_clinical_sections(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    chart = html(client.get(f"/patients/{patient_id}"))
    assert chart.css_first("[data-testid=allergy-banner]") is None
    assert chart.css_first("#section-allergies") is None
    assert chart.css_first("#break-glass form") is not None
    assert "Latex" not in chart.text()
    for key in SECTIONS:
        refused = client.get(f"/patients/{patient_id}/chart/{key}", headers={"HX-Request": "true"})
        assert refused.status_code == 403 and "Latex" not in refused.text
    assert client.get(f"/patients/{patient_id}/vitals").status_code == 403
    assert post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "X"}).status_code == 403
    denied = harness.audit("action = 'access.denied' AND staff_id = {}", receptionist["id"], columns="patient_id")
    assert {row["patient_id"] for row in denied} == {patient_id}


def test_breaking_the_glass_opens_clinical_sections_for_that_patient(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    other = harness.run(make_patient, first_name="Other")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    short = post(client, f"/patients/{patient_id}/break-glass", {"reason": "need"}, htmx=True)
    assert short.status_code == 422 and html(short).css_first("#e-reason") is not None
    granted = post(client, f"/patients/{patient_id}/break-glass", {"reason": "Ambulance crew asking about allergies"},
                   htmx=True)
    assert granted.headers["hx-redirect"] == f"/patients/{patient_id}"
    assert "Latex" in client.get(f"/patients/{patient_id}/chart/allergies").text
    assert client.get(f"/patients/{other}/chart/allergies").status_code == 403
    assert post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "X"}).status_code == 403
    flagged = harness.audit("action = 'patient.break_glass'", columns="staff_id, patient_id, outcome")
    assert flagged == [{"staff_id": receptionist["id"], "patient_id": patient_id, "outcome": "break_glass"}]


def test_billing_sees_insurance_and_demographics(harness, client):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    assert client.get(f"/patients/{patient_id}").status_code == 200
    assert client.get(f"/patients/{patient_id}/insurance").status_code == 200
    assert client.get(f"/patients/{patient_id}/chart/problems").status_code == 403


def test_revealing_an_identifier_is_permitted_and_audited(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient, national_id="123456789")
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, "#national-id").text() == "•••••6789" and "123-45-6789" not in chart.text()
    revealed = post(client, f"/patients/{patient_id}/reveal/national-id", htmx=True)
    assert one(html(revealed), "[data-testid=revealed]").text() == "123-45-6789"
    assert harness.audit("action = 'patient.reveal' AND staff_id = {}", doctor["id"], columns="patient_id, detail") == [
        {"patient_id": patient_id, "detail": "national_id"}]
    sign_in_as(harness, "receptionist")
    assert post(client, f"/patients/{patient_id}/reveal/national-id", htmx=True).status_code == 403


def test_a_change_tells_the_chart_to_refresh_its_header_summary_and_timeline(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    added = post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "Latex", "severity": "severe"},
                 htmx=True)
    assert added.headers["hx-trigger"] == "chart-changed"
    chart = html(client.get(f"/patients/{patient_id}"))
    listeners = {node.attributes["id"]: node.attributes["hx-get"] for node in chart.css("[hx-trigger]")
                 if node.attributes.get("hx-trigger") == "chart-changed from:body"}
    assert listeners == {"chart-head": f"/patients/{patient_id}/head",
                         "chart-summary": f"/patients/{patient_id}/summary",
                         "timeline": f"/patients/{patient_id}/timeline"}
    for target, url in listeners.items():
        fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": target})
        assert fragment.status_code == 200 and is_fragment(fragment)
        assert html(fragment).css_first(f"#{target}") is not None
    head = html(client.get(f"/patients/{patient_id}/head", headers={"HX-Request": "true"}))
    assert "Latex (severe)" in one(head, "[data-testid=allergy-banner]").text()


def test_the_header_and_summary_alone_send_a_browser_to_the_chart(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    for part in ("head", "summary"):
        response = client.get(f"/patients/{patient_id}/{part}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/patients/{patient_id}"


def test_a_role_without_clinical_access_gets_one_column_without_empty_cards(harness, client):
    sign_in_as(harness, "nurse")  # a nurse sees clinical sections but not insurance
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    assert chart.css_first("#insurance") is None
    assert "Insurance" not in [link.text() for link in chart.css(".chart-index a")]


def test_break_the_glass_is_offered_quietly_to_a_receptionist(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    card = one(chart, "#break-glass")
    # Behind a disclosure, with a secondary button: not the most prominent thing on the page.
    assert card.css_first("details form") is not None and card.css_first("details[open]") is None
    assert "danger" not in card.css_first("button[type=submit]").attributes.get("class", "")
    # Archive and merge sit apart from the clinical content, as quiet links.
    assert one(chart, ".record-admin").css_first("button.link-button") is not None

