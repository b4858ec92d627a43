"""The whole clinic's data export: confirmed, written in the background, equal to the database, short-lived."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import stat
import zipfile

import pyotp
import time_machine

from clinic.billing.payments import record_payment
from clinic.core.jobs import Worker
from clinic.exports import services
from clinic.exports.writing import FILES, neutralise
from clinic.security import mfa
from tests.billing.billing_factories import BILLER, visit_with_services
from tests.claims.claim_factories import claim_in_state, set_up_claims
from tests.factories import PASSWORD, add_policy, make_patient, open_session, post, sign_in_as
from tests.helpers import html, is_fragment, one


def clinic_data(harness) -> dict:
    """A patient with sealed identifiers, a visit, a claim and a payment whose reference looks like a formula."""
    patient = harness.run(make_patient, first_name="Ines", last_name="Export", national_id="123-45-6789")
    harness.run(add_policy, patient, "Aetna", "W987654321")
    harness.run(visit_with_services, patient, ("99213", "Office visit", 1))
    harness.run(set_up_claims)
    harness.run(claim_in_state, "submitted", 12000)
    payment = harness.run(record_payment, patient, 5000, "cash", BILLER, reference="=SUM(A1:A9)")
    return {"patient": patient, "payment": payment}


def start(harness, client, data: dict | None = None):
    return post(client, "/admin/exports/", {"password": PASSWORD, **(data or {})})


def run_jobs(harness) -> None:
    harness.run(Worker(harness.app.state.jobs).run_due)


def export_id_of(response) -> int:
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])


def stored_name(harness, export_id: int) -> str:
    return harness.sql("SELECT file_name FROM clinic_export WHERE id = {}", export_id)[0]["file_name"]


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_the_zip_holds_the_database_with_sealed_values_opened_and_a_true_manifest(harness, client):
    made = clinic_data(harness)
    admin = sign_in_as(harness, "admin", name="Ada Admin")
    export_id = export_id_of(start(harness, client))
    queued = client.get(f"/admin/exports/{export_id}", headers={"HX-Request": "true"})
    assert is_fragment(queued)
    progress = one(html(queued), "#export-progress")
    assert progress.attributes["data-state"] == "queued" and progress.attributes["hx-trigger"] == "every 2s"
    run_jobs(harness)
    page = html(client.get(f"/admin/exports/{export_id}"))
    assert one(page, "#export-progress").attributes["data-state"] == "ready"
    assert "hx-trigger" not in one(page, "#export-progress").attributes
    download = client.get(one(page, "[data-testid=export-download]").attributes["href"])
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert [f["name"] for f in manifest["files"]] == [name for name, _ in FILES]
    for entry, (name, table) in zip(manifest["files"], FILES):
        body = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
        rows = read_csv(archive, name)
        # The trail grew after the export (its download, these pages): compare up to its last entry.
        newest = max(int(row["id"]) for row in rows) if name == "audit_trail.csv" else 2**31
        count = harness.sql(f'SELECT COUNT(*) AS n FROM "{table._meta.tablename}" WHERE id <= {{}}', newest)[0]["n"]
        assert entry["rows"] == len(rows) == count, name
    patients = {int(row["id"]): row for row in read_csv(archive, "patients.csv")}
    assert patients[made["patient"]]["national_id"] == "123456789"
    assert patients[made["patient"]]["last_name"] == "Export"
    assert "national_id_index" not in patients[made["patient"]]
    policies = read_csv(archive, "patient_insurance.csv")
    assert [row["member_number"] for row in policies if int(row["patient"]) == made["patient"]] == ["W987654321"]
    payments = {int(row["id"]): row for row in read_csv(archive, "payments.csv")}
    assert payments[made["payment"]]["reference"] == "'=SUM(A1:A9)" and payments[made["payment"]]["amount"] == "5000"
    assert len(read_csv(archive, "claims.csv")) == 1 and len(read_csv(archive, "visits.csv")) == 1
    audit_ids = {int(row["id"]) for row in read_csv(archive, "audit_trail.csv")}
    started = harness.audit("action = 'clinic.export'", columns="id, staff_id, entity_id")
    assert started == [{"id": started[0]["id"], "staff_id": admin["id"], "entity_id": str(export_id)}]
    assert started[0]["id"] in audit_ids
    downloads = harness.audit("action = 'clinic.export_download'", columns="staff_id, outcome")
    assert downloads == [{"staff_id": admin["id"], "outcome": "success"}]
    stored = services.folder() / stored_name(harness, export_id)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700


def test_formula_cells_are_neutralised_and_plain_text_is_not():
    assert [neutralise(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "Smith", "a=b", "")] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\t=1", "'\r=1", "Smith", "a=b", ""]


def test_the_link_expires_after_an_hour_and_the_file_is_deleted(harness, client):
    admin = sign_in_as(harness, "admin")
    export_id = export_id_of(start(harness, client))
    run_jobs(harness)
    stored = services.folder() / stored_name(harness, export_id)
    assert stored.is_file()
    later = dt.datetime.now(dt.timezone.utc) + services.LINK_LIFETIME + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        # Signed in again an hour later (the first session has gone idle by then).
        token = harness.run(open_session, admin["id"], harness.app.state.session_policy)
        client.cookies.set("clinic_session", token, domain="testserver.local")
        refused = client.get(f"/admin/exports/{export_id}/download")
    assert refused.status_code == 410
    assert "expired" in one(html(refused), "[data-testid=export-refused]").text()
    assert not stored.exists()
    assert harness.sql("SELECT state FROM clinic_export WHERE id = {}", export_id)[0]["state"] == "expired"


def test_the_file_is_deleted_after_its_link_expires_even_if_nobody_comes_back(harness, client):
    sign_in_as(harness, "admin")
    export_id = export_id_of(start(harness, client))
    run_jobs(harness)
    stored = services.folder() / stored_name(harness, export_id)
    run_jobs(harness)
    assert stored.is_file()  # not before the hour is up
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + services.LINK_LIFETIME + dt.timedelta(minutes=2)):
        run_jobs(harness)
    assert not stored.exists()
    assert harness.sql("SELECT state FROM clinic_export WHERE id = {}", export_id)[0]["state"] == "expired"


def test_only_the_administrator_who_asked_may_download(harness, client):
    sign_in_as(harness, "admin")
    export_id = export_id_of(start(harness, client))
    run_jobs(harness)
    other = sign_in_as(harness, "admin")
    refused = client.get(f"/admin/exports/{export_id}/download")
    assert refused.status_code == 403
    assert harness.audit("action = 'clinic.export_download'", columns="staff_id, outcome") == [
        {"staff_id": other["id"], "outcome": "denied"}]
    for role in ("doctor", "billing", "receptionist", "nurse"):
        sign_in_as(harness, role)
        assert client.get("/admin/exports/").status_code == 403
        assert client.get(f"/admin/exports/{export_id}/download").status_code == 403
        assert post(client, "/admin/exports/", {"password": PASSWORD}).status_code == 403
    assert len(harness.audit("action = 'clinic.export'")) == 1


def test_it_needs_the_password_again_and_says_so_without_starting(harness, client):
    sign_in_as(harness, "admin")
    for typed in ("", "not my password"):
        response = post(client, "/admin/exports/", {"password": typed})
        assert response.status_code == 422
        assert "not your password" in one(html(response), "#e-password").text()
        assert one(html(response), "#f-password").attributes.get("value") is None  # never echoed
    assert not harness.audit("action = 'clinic.export'")
    assert not harness.sql("SELECT id FROM clinic_export")


def test_with_two_step_sign_in_it_needs_a_current_code_too(harness, client):
    secret = mfa.new_secret()
    sign_in_as(harness, "admin", totp_secret=secret, keyring=harness.app.state.settings.keyring)
    assert one(html(client.get("/admin/exports/")), "#f-code")
    missing = post(client, "/admin/exports/", {"password": PASSWORD, "code": ""})
    assert missing.status_code == 422 and one(html(missing), "#e-code")
    assert not harness.sql("SELECT id FROM clinic_export")
    export_id_of(post(client, "/admin/exports/", {"password": PASSWORD, "code": pyotp.TOTP(secret).now()}))
    assert len(harness.audit("action = 'clinic.export'")) == 1
