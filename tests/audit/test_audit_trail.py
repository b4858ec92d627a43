"""The audit trail: append-only, hash-chained, verified, viewed, exported."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
import urllib.request

import pytest

from clinic.admin.audit_controllers import safe_cell
from clinic.audit.services import Actor, record, verify_chain
from clinic.db import AppendOnlyViolation, is_mysql
from clinic.db.schema import raw
from tests.audit.tampering import clinic_verify, without_triggers
from tests.conftest import TEST_AUDIT_KEY
from tests.factories import make_staff, open_session, post, sign_in_as
from tests.helpers import html, one, texts
from tests.live import live_server

ACTOR = Actor(staff_id=7, role="doctor", client_address="10.0.0.5", user_agent="pytest")


def test_entries_chain_and_verify(harness):
    before = harness.run(verify_chain)
    assert before.ok
    ids = [harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=n, patient_id=n)
           for n in range(1, 4)]
    rows = harness.sql("SELECT id, prev_mac, mac, patient_id FROM audit_event ORDER BY id DESC LIMIT 3")[::-1]
    assert [row["id"] for row in rows] == ids
    assert rows[1]["prev_mac"] == rows[0]["mac"] and rows[2]["prev_mac"] == rows[1]["mac"]
    result = harness.run(verify_chain)
    assert result.ok and result.checked == before.checked + 3


def test_the_table_refuses_updates_and_deletes(harness):
    event_id = harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=1)
    for statement in ("UPDATE audit_event SET action = 'nothing' WHERE id = {}", "DELETE FROM audit_event WHERE id = {}"):
        with pytest.raises(AppendOnlyViolation):
            harness.sql(statement, event_id)
    assert harness.sql("SELECT action FROM audit_event WHERE id = {}", event_id) == [{"action": "patient.read"}]


def test_verify_finds_an_edited_row_and_the_command_says_where(harness):
    ids = [harness.run(record, "staff.update", ACTOR, entity_type="staff", entity_id=n) for n in range(3)]
    ok = clinic_verify(harness)
    assert ok.returncode == 0 and "audit trail intact" in ok.stdout

    async def tamper():
        await raw(harness.engine, "UPDATE audit_event SET staff_id = 99 WHERE id = {}", ids[1])
        result = await verify_chain()
        await raw(harness.engine, "UPDATE audit_event SET staff_id = 7 WHERE id = {}", ids[1])
        return result

    async def tamper_and_run_the_command():
        await raw(harness.engine, "UPDATE audit_event SET action = 'staff.read' WHERE id = {}", ids[2])
        try:
            return await asyncio.to_thread(clinic_verify, harness)
        finally:
            await raw(harness.engine, "UPDATE audit_event SET action = 'staff.update' WHERE id = {}", ids[2])

    result = harness.run(without_triggers, harness.engine, tamper)
    assert not result.ok and result.broken_at == ids[1] and "changed" in result.problem
    broken = harness.run(without_triggers, harness.engine, tamper_and_run_the_command)
    assert broken.returncode == 1
    assert f"BROKEN at entry {ids[2]}" in broken.stderr
    assert harness.run(verify_chain).ok  # restored, so the rest of the suite sees an intact chain


def test_verify_finds_a_deleted_row(harness):
    ids = [harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=n) for n in range(3)]

    async def remove_and_restore():
        (row,) = await raw(harness.engine, "SELECT * FROM audit_event WHERE id = {}", ids[1])
        await raw(harness.engine, "DELETE FROM audit_event WHERE id = {}", ids[1])
        result = await verify_chain()
        columns = list(row)
        await raw(harness.engine,
                  f"INSERT INTO audit_event ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                  f"VALUES ({', '.join('{}' for _ in columns)})", *row.values())
        return result

    result = harness.run(without_triggers, harness.engine, remove_and_restore)
    assert not result.ok and result.broken_at == ids[2] and "removed" in result.problem
    assert harness.run(verify_chain).ok


def test_concurrent_writers_never_fork_the_chain(harness):
    async def many():
        await asyncio.gather(*[record("patient.read", ACTOR, entity_type="patient", entity_id=n, patient_id=n)
                               for n in range(40)])

    before = harness.sql("SELECT COUNT(*) AS n FROM audit_event")[0]["n"]
    harness.run(many)
    assert harness.sql("SELECT COUNT(*) AS n FROM audit_event")[0]["n"] == before + 40
    assert harness.run(verify_chain).ok
    forks = harness.sql("SELECT prev_mac, COUNT(*) AS n FROM audit_event GROUP BY prev_mac HAVING COUNT(*) > 1")
    assert forks == []


def test_concurrent_http_requests_never_fork_the_chain(settings, backend, harness):
    """Real requests through uvicorn, eight at a time, each writing audit entries."""
    admin = harness.run(make_staff, "admin")
    token = harness.run(open_session, admin["id"], harness.app.state.session_policy)
    with live_server(settings) as server:
        before = server.run(verify_chain).checked
        errors = []

        def worker():
            for _ in range(6):
                request = urllib.request.Request(server.url + "/admin/audit",
                                                 headers={"Cookie": f"clinic_session={token}"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        assert response.status == 200
                except Exception as error:  # collected, asserted below
                    errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result = server.run(verify_chain)
    assert errors == []
    assert result.ok and result.checked == before + 48


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


def test_the_audit_key_never_reaches_the_database(harness):
    harness.run(record, "patient.read", ACTOR)
    for table in ("audit_event", "audit_chain_head", "clinic_setting", "kv_store"):
        for row in harness.sql(f"SELECT * FROM {table}"):
            assert TEST_AUDIT_KEY not in " ".join(str(value) for value in row.values())
    assert is_mysql(harness.engine) == (harness.backend == "mysql")


def test_the_viewer_finds_a_patient_by_mrn(harness, client):
    from tests.factories import make_patient

    sign_in_as(harness, "admin")
    patient_id = harness.run(make_patient)
    mrn = harness.sql("SELECT mrn FROM patient WHERE id = {}", patient_id)[0]["mrn"]
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
