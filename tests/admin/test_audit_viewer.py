"""The audit viewer: filters and pages, patients by name or MRN, actions in words, CSV export; itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine

from clinic.admin.audit_controllers import safe_cell
from clinic.audit.services import Actor, record
from tests.factories import add_chart_entry, make_patient, make_staff, mrn_of, post, sign_in_as
from tests.helpers import form_values, html, one, texts


def test_an_administrator_finds_a_patient_by_name(harness, client):
    sign_in_as(harness, "admin")
    patient_id = harness.run(make_patient, first_name="Hannah", last_name="Oduya")
    harness.run(make_patient, first_name="Maria", last_name="Garcia")
    response = post(client, "/admin/audit", {"patient": "oduya hann", "action": "patient.create"}, htmx=True)
    tree = html(response)
    assert one(tree, "#audit-results p.muted strong").text() == "Oduya, Hannah"
    assert f"patient={patient_id}" in response.headers["hx-push-url"]
    assert "oduya" not in response.headers["hx-push-url"].lower()  # what was typed stays out of the URL


def test_a_name_that_fits_several_patients_asks_which_one(harness, client):
    sign_in_as(harness, "admin")
    first = harness.run(make_patient, first_name="Ann", last_name="Lee")
    second = harness.run(make_patient, first_name="Anna", last_name="Lee", date_of_birth="1990-01-01")
    response = post(client, "/admin/audit", {"patient": "Lee"}, htmx=True)
    assert response.status_code == 422 and response.headers["hx-retarget"] == "#audit"
    tree = html(response)
    assert one(tree, "#e-patient").text() == "Several patients match: choose one below."
    links = [node.attributes["href"] for node in tree.css("[data-testid=patient-choices] a")]
    assert any(f"patient={first}" in link for link in links) and any(f"patient={second}" in link for link in links)
    assert one(tree, "#f-patient").attributes["value"] == "Lee"  # what was typed is kept


def test_a_name_nobody_has_is_explained_beside_the_field(harness, client):
    sign_in_as(harness, "admin")
    response = post(client, "/admin/audit", {"patient": "Nobody Atall"}, htmx=True)
    assert one(html(response), "#e-patient").text() == "No patient matches that name."


def test_entries_name_the_patient_and_say_what_happened(harness, client):
    sign_in_as(harness, "admin")
    patient_id = harness.run(make_patient, first_name="Hannah", last_name="Oduya")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    doctor = sign_in_as(harness, "doctor")
    client.get(f"/patients/{patient_id}")
    sign_in_as(harness, "admin")
    tree = html(client.get(f"/admin/audit?patient={patient_id}&staff={doctor['id']}"))
    row = tree.css_first("tr[data-event-id]")
    assert "Viewed the chart" in row.css_first("td[data-label=What]").text()
    assert row.css_first("td[data-label=Patient] a").text() == "Oduya, Hannah"


def test_a_strange_date_or_staff_filter_is_explained_not_a_crash(harness, client):
    sign_in_as(harness, "admin")
    for query in ("date_to=9999-12-31", "staff=%C2%B2", "date_from=31-31-2020", "page=" + "9" * 20):
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 200, query


def test_the_viewer_filters_pages_and_is_itself_audited(harness, client):
    admin = sign_in_as(harness, "admin")
    nurse = harness.run(make_staff, "nurse")
    nurse_actor = Actor(staff_id=nurse["id"], role="nurse", client_address="10.1.1.1")
    # Audit entries outlive each test (and SQLite reuses staff ids after a
    # clean-up), so this test writes actions and patient ids of its own.
    for n in range(60):
        harness.run(record, "test.viewer_probe", nurse_actor, entity_type="patient", entity_id=n,
                    patient_id=880001 + n % 3)
    harness.run(record, "test.viewer_update", nurse_actor, entity_type="patient", entity_id=5, patient_id=880002)

    tree = html(client.get(f"/admin/audit?staff={nurse['id']}&action=test.viewer_probe"))
    assert len(tree.css("tr[data-event-id]")) == 50
    assert "Page 1 of 2" in tree.css_first(".pagination").text()
    page_two = html(client.get(f"/admin/audit?staff={nurse['id']}&action=test.viewer_probe&page=2"))
    assert len(page_two.css("tr[data-event-id]")) == 10

    by_patient = html(client.get(f"/admin/audit?staff={nurse['id']}&patient=880002", headers={"HX-Request": "true"}))
    actions = texts(by_patient, "tr[data-event-id] td code")
    assert len(actions) == 21 and actions.count("test.viewer_update") == 1

    reads = harness.audit("action = 'audit.read' AND staff_id = {}", admin["id"])
    assert len(reads) == 3


def test_the_viewer_refuses_bad_filters_without_touching_sql(harness, client):
    sign_in_as(harness, "admin")
    for params in ("staff=1%20OR%201=1", "action=x'%3B%20DROP%20TABLE%20staff", "patient=abc",
                   "date_from=2026-13-45", "order=id;DELETE", "date_from=2026-02-02&date_to=2026-01-01"):
        response = client.get(f"/admin/audit?{params}")
        assert response.status_code == 200
    response = html(client.get("/admin/audit?patient=abc"))
    assert one(response, ".alert-error").text() == "Please correct the highlighted filters."
    assert harness.sql("SELECT COUNT(*) AS n FROM staff")[0]["n"] == 1


def test_csv_export_has_every_matching_row_and_defuses_formulas(harness, client):
    admin = sign_in_as(harness, "admin")
    sneaky = Actor(staff_id=admin["id"], role="admin", client_address="10.0.0.9", user_agent="=HYPERLINK(\"x\")")
    for n in range(3):
        harness.run(record, "test.csv_probe", sneaky, entity_type="staff", entity_id=n)
    response = client.get(f"/admin/audit.csv?staff={admin['id']}&action=test.csv_probe")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3 and all(row["user_agent"].startswith("'=") for row in rows)
    assert len(harness.audit("action = 'audit.export'")) == 1


def test_the_viewer_finds_a_patient_by_mrn(harness, client):
    sign_in_as(harness, "admin")
    patient_id = harness.run(make_patient)
    mrn = mrn_of(harness, patient_id)
    response = post(client, "/admin/audit", {"patient": f"{mrn[:-1]}-{mrn[-1]}", "action": "patient.create"},
                    htmx=True)
    rows = html(response).css("tr[data-event-id]")
    # Ids are reused between tests on an emptied table; the audit trail is kept.
    ours = [row for row in rows if int(row.attributes["data-event-id"]) > harness.audit_start]
    assert len(ours) == 1 and all(row.css_first(f"a[href='/patients/{patient_id}']") for row in rows)
    # The address the browser shows has the patient's id, never the MRN that was typed.
    pushed = response.headers["hx-push-url"]
    assert f"patient={patient_id}" in pushed and mrn not in pushed
    plain = post(client, "/admin/audit", {"patient": mrn, "action": "patient.create"})
    assert plain.status_code == 303 and mrn not in plain.headers["location"]


def test_the_dates_filtered_on_are_days_in_the_clinics_own_time_zone(harness, client):
    admin = sign_in_as(harness, "admin")
    # The clinic moves from New York (the environment's zone) to Tokyo on its settings screen.
    moved = post(client, "/admin/clinic", form_values(client, "/admin/clinic", "#practice-form form",
                                                      timezone="Asia/Tokyo"), htmx=True)
    assert moved.status_code == 200
    actor = Actor(staff_id=admin["id"], role="admin", client_address="10.0.0.9")
    # 20:00 UTC on 10 March 2026 is 16:00 on the 10th in New York and 05:00 on the 11th in Tokyo.
    with time_machine.travel(dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.timezone.utc), tick=False):
        harness.run(record, "test.zone_probe", actor, entity_type="staff", entity_id=1)

    def found(day: str) -> int:
        tree = html(client.get(f"/admin/audit?action=test.zone_probe&date_from={day}&date_to={day}"))
        return len(tree.css("tr[data-event-id]"))
    assert (found("2026-03-11"), found("2026-03-10")) == (1, 0)


# A formula sign at the start of a cell or of a part a spreadsheet splits off at a separator.
FORMULA_START = re.compile(r"(^|[,;\t|\r\n])\s*[=+\-@]")
QUOTED_FIELD = r'"(?:[^"]|"")*"'
QUOTED_CSV = re.compile(rf"(?:{QUOTED_FIELD}(?:,{QUOTED_FIELD})*\r\n)+")


def test_csv_export_quotes_every_field_and_defuses_formulas_after_separators(harness, client):
    admin = sign_in_as(harness, "admin")
    agents = [";=1+1", 'Mozilla/5.0;=HYPERLINK("http://x.example")', "curl/8, @SUM(A1:A9)", "probe|-2+3",
              "tabbed\t+cmd", " =1", "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"]
    for n, agent in enumerate(agents):
        actor = Actor(staff_id=admin["id"], role="admin", client_address="10.0.0.9", user_agent=agent)
        harness.run(record, "test.csv_separator_probe", actor, entity_type="staff", entity_id=n,
                    detail=f"note {n};@cmd\n=2+2")
    response = client.get(f"/admin/audit.csv?staff={admin['id']}&action=test.csv_separator_probe&order=oldest")
    assert response.status_code == 200
    assert QUOTED_CSV.fullmatch(response.text), response.text[:300]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["user_agent"] for row in rows] == [
        ";'=1+1", "Mozilla/5.0;'=HYPERLINK(\"http://x.example\")", "curl/8, '@SUM(A1:A9)", "probe|'-2+3",
        "tabbed\t'+cmd", " '=1", "(compatible; Googlebot/2.1; '+http://www.google.com/bot.html)"]
    assert [row["detail"] for row in rows] == [f"note {n};'@cmd\n'=2+2" for n in range(len(agents))]
    assert all(not FORMULA_START.search(cell) for row in rows for cell in row.values())


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t'=1"), ("\rx", "'\rx"),
    ("a;=1", "a;'=1"), ("a,+1", "a,'+1"), ("a\t-1", "a\t'-1"), ("a|@x", "a|'@x"), ("a\n=1", "a\n'=1"),
    ("a; ;  =1", "a; ;  '=1"), ("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"),
    ("10.0.0.5", "10.0.0.5"), ("a-b+c=d@e", "a-b+c=d@e"), ("", ""),
])
def test_a_csv_cell_never_starts_a_formula_anywhere_a_spreadsheet_might_split_it(value, safe):
    assert safe_cell(value) == safe
