"""Key rotation reaches every encrypted column; a missing key is named, never a 500."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
import time_machine
from litestar.testing import TestClient

from clinic.core.crypto import Keyring, new_key_setting
from clinic.db.schema import table_names
from clinic.ops.demo import load_demo
from clinic.security import fields, mfa
from tests.conftest import TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY
from tests.factories import add_chart_entry, enrol_in_mfa, make_staff, post, sign_in
from tests.helpers import html, one, run_clinic
from tests.patients.test_encryption import seed

START = dt.datetime(2026, 11, 23, 14, 0, 5, tzinfo=dt.timezone.utc)
# Written only by the enrolment screen of earlier versions (now it stores nothing until the code is right).
LEGACY_COLUMNS = {"staff_session.pending_totp_secret"}


def registered_columns() -> set[str]:
    return {f"{item.table._meta.tablename}.{item.column}" for item in fields.encrypted_fields()}


def columns_holding_encrypted_values(harness) -> set[str]:
    """Every column of every table with at least one value that looks like ``enc1:<key id>:...``."""
    found = set()
    for table in harness.run(table_names, harness.engine):
        for row in harness.sql(f'SELECT * FROM "{table}"'):
            found |= {f"{table}.{column}" for column, value in row.items()
                      if isinstance(value, str) and value.startswith("enc1:")}
    return found


def attach_prescription_and_document(harness, patient_id: int) -> None:
    """A draft prescription with its internal note, and a document with its sealed key."""
    from clinic.audit.services import Actor
    from clinic.documents.services import Upload, attach
    from clinic.prescriptions.services import save_draft
    from tests.documents.test_documents import PDF
    from tests.prescriptions.rx import AMOXICILLIN

    actor = Actor(role="test")
    harness.run(save_draft, patient_id, dict(AMOXICILLIN), actor)
    settings = harness.app.state.settings
    harness.run(attach, patient_id, {"title": "Referral", "category": "referral"}, Upload("r.pdf", PDF), actor,
                folder=settings.documents_dir, max_bytes=settings.document_max_bytes)


def enrolled_admin(harness, client) -> dict:
    """An administrator who set up two-step sign-in through the screens (secret under the suite's key)."""
    admin = harness.run(make_staff, "admin")
    with time_machine.travel(START, tick=True):
        sign_in(client, admin["email"])
        admin["totp_secret"], _ = enrol_in_mfa(client)
        post(client, "/signout")
    return admin


@contextmanager
def app_with_keys(make_app, harness, keys: str):
    """Another app on the same database whose CLINIC_ENCRYPTION_KEYS are ``keys``."""
    app = make_app(CLINIC_ENCRYPTION_KEYS=keys)
    try:
        with TestClient(app, base_url="http://testserver.local") as client:
            yield client
    finally:
        # Field encryption is configured per process: give it back to the suite's app.
        fields.configure(harness.app.state.settings.keyring, TEST_INDEX_KEY)
        from clinic.piccolo_app import bind_tables

        bind_tables(harness.engine)


def test_every_column_holding_encrypted_values_is_registered_for_rotation(harness, client):
    harness.run(load_demo, harness.app.state.settings.tz, patient_count=20)
    patient_id, _, _ = seed(harness, client)
    for section, values in (("problems", {"description": "Type 2 diabetes"}),
                            ("history", {"kind": "social", "description": "Smoker"}),
                            ("immunizations", {"vaccine": "Tdap", "given_on": "2024-01-10"})):
        harness.run(add_chart_entry, section, patient_id, status="active", notes="Kept private", **values)
    attach_prescription_and_document(harness, patient_id)
    client.cookies.clear()
    enrolled_admin(harness, client)
    found = columns_holding_encrypted_values(harness)
    assert found <= registered_columns(), f"encrypted but not registered for rotation: {found - registered_columns()}"
    # The data above reaches every registered column, so the scan proves something for each.
    assert registered_columns() - found == LEGACY_COLUMNS


def test_rotation_re_encrypts_mfa_secrets_and_they_work_under_the_new_key_alone(harness, client, make_app):
    admin = enrolled_admin(harness, client)
    new_key = new_key_setting("next1")
    rotated = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=f"{new_key},{TEST_ENCRYPTION_KEYS}")
    assert rotated.returncode == 0, rotated.stderr
    assert "staff.totp_secret: 1 value(s) re-encrypted under key next1" in rotated.stdout
    assert "done: every encrypted value is under key next1" in rotated.stdout
    stored = harness.sql("SELECT totp_secret FROM staff WHERE id = {}", admin["id"])[0]["totp_secret"]
    assert stored.startswith("enc1:next1:")
    # The old key is removed: the administrator still signs in with their code.
    with app_with_keys(make_app, harness, new_key) as other:
        with time_machine.travel(START + dt.timedelta(minutes=5), tick=True):
            sign_in(other, admin["email"])
            passed = post(other, "/signin/mfa", {"code": mfa.code_for(admin["totp_secret"]), "next": "/"})
    assert passed.status_code == 303 and passed.headers["location"] == "/"


def test_a_missing_key_at_the_code_step_is_a_clear_page_and_a_log_line_naming_the_key(harness, client, make_app,
                                                                                       capsys):
    admin = enrolled_admin(harness, client)
    stored = harness.sql("SELECT totp_secret FROM staff WHERE id = {}", admin["id"])[0]["totp_secret"]
    capsys.readouterr()
    with app_with_keys(make_app, harness, new_key_setting("next2")) as other:
        with time_machine.travel(START + dt.timedelta(minutes=5), tick=True):
            sign_in(other, admin["email"])
            response = post(other, "/signin/mfa", {"code": mfa.code_for(admin["totp_secret"]), "next": "/"})
    assert response.status_code == 503
    alert = one(html(response), ".alert-error")
    assert alert.css_first("strong").text() == "Encryption key missing"
    assert "CLINIC_ENCRYPTION_KEYS must include key test1" in alert.text()
    logged = [line for line in capsys.readouterr().out.splitlines() if "cannot be decrypted" in line]
    assert len(logged) == 1 and "key_id=test1" in logged[0] and f"staff.totp_secret.{admin['id']}" in logged[0]
    assert stored.split(":")[2] not in logged[0] and admin["totp_secret"] not in logged[0]


def test_check_and_rotate_keys_name_a_key_that_values_need_but_the_settings_lack(harness, client):
    admin = enrolled_admin(harness, client)
    seed(harness, client)
    new_key = new_key_setting("next3")
    check = run_clinic(harness, "check", CLINIC_ENCRYPTION_KEYS=new_key)
    assert check.returncode == 2
    assert ("encryption    values under key test1 which is not in CLINIC_ENCRYPTION_KEYS (allergy.notes: 1, "
            "medication.notes: 1, patient.national_id: 1, patient_insurance.member_number: 1, staff.totp_secret: 1, "
            "vital_signs.notes: 1)") in check.stdout
    refused = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=new_key)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "error: values under key test1 which is not in CLINIC_ENCRYPTION_KEYS (allergy.notes: 1, medication.notes: 1, "
        "patient.national_id: 1, patient_insurance.member_number: 1, staff.totp_secret: 1, vital_signs.notes: 1): "
        "put that key back in the list (after the new one) and run again; nothing was changed"]
    stored = harness.sql("SELECT totp_secret FROM staff WHERE id = {}", admin["id"])[0]["totp_secret"]
    assert stored.startswith("enc1:test1:")
    fine = run_clinic(harness, "check", CLINIC_ENCRYPTION_KEYS=TEST_ENCRYPTION_KEYS)
    assert fine.returncode == 0 and "encryption    key test1; every value is under it" in fine.stdout


def test_rotation_is_not_done_while_a_value_does_not_decrypt(harness, client):
    admin = enrolled_admin(harness, client)
    other = harness.run(make_staff, "nurse")
    stolen = harness.sql("SELECT totp_secret FROM staff WHERE id = {}", admin["id"])[0]["totp_secret"]
    # A secret copied onto another account does not decrypt there (it is bound to its row).
    harness.sql("UPDATE staff SET totp_secret = {}, mfa_enabled = {} WHERE id = {}", stolen, True, other["id"])
    result = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=f"{new_key_setting('next4')},{TEST_ENCRYPTION_KEYS}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (f"staff.totp_secret: the value in row {other['id']} does not decrypt (altered or moved); left as it is"
            in result.stdout)
    assert "staff.totp_secret: 1 value(s) re-encrypted under key next4" in result.stdout
    assert "not done: values are still under older keys (staff.totp_secret: 1)" in result.stderr
    assert "done: every" not in result.stdout


@pytest.mark.parametrize("setting, expected", [
    ("a:" + "A" * 42 + "g", True),
    ("b:" + "A" * 42 + "g,a:" + "B" * 42 + "g", True),
    ("b:" + "A" * 42 + "g", False),
])
def test_the_key_ring_says_whether_it_holds_a_key(setting, expected):
    assert Keyring.parse(setting).has("a") is expected
