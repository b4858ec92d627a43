"""Sensitive fields at rest: never in clear, bound to their place, rotatable."""

from __future__ import annotations

import pytest

from clinic.clinical.tables import Allergy, Medication
from clinic.core.crypto import DecryptionFailed, Keyring, new_key_setting
from clinic.patients.services import find_by_national_id
from clinic.patients.tables import Patient
from clinic.security import fields
from tests.conftest import TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY
from tests.factories import add_chart_entry, add_policy, make_patient, post, sign_in_as
from tests.helpers import run_clinic

SSN = "219099999"
MEMBER = "XQZ77123456"
NOTE = "Patient disclosed a history of substance use"


def seed(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient, national_id=SSN)
    harness.run(add_policy, patient_id, "Aetna", MEMBER)
    allergy = harness.run(add_chart_entry, "allergies", patient_id, substance="Latex", notes=NOTE)
    medication = harness.run(add_chart_entry, "medications", patient_id, name="Naltrexone", notes=NOTE + " (2)")
    post(client, f"/patients/{patient_id}/vitals", {"pulse": "70", "notes": NOTE + " (3)"}, htmx=True)
    return patient_id, allergy, medication


def raw_dump(harness) -> str:
    text = []
    for table in ("patient", "patient_insurance", "allergy", "medication", "vital_signs", "audit_event"):
        for row in harness.sql(f"SELECT * FROM {table}"):
            text.append(" ".join(str(value) for value in row.values()))
    return "\n".join(text)


def test_no_sensitive_value_is_stored_in_clear(harness, client):
    patient_id, _, _ = seed(harness, client)
    dump = raw_dump(harness)
    for secret in (SSN, "219-09-9999", MEMBER, NOTE, "substance use"):
        assert secret not in dump
    row = harness.sql("SELECT national_id, national_id_index FROM patient WHERE id = {}", patient_id)[0]
    assert row["national_id"].startswith("enc1:test1:") and len(row["national_id_index"]) == 64
    # Readable through the app, and findable by exact value without decrypting rows.
    assert harness.run(find_by_national_id, "219-09-9999", "US") == [patient_id]
    assert harness.run(find_by_national_id, "219-09-9998", "US") == []


def test_two_encryptions_of_one_value_differ(harness):
    cipher = fields.cipher()
    assert cipher.seal(Patient, "national_id", 1, SSN) != cipher.seal(Patient, "national_id", 1, SSN)


def test_a_value_copied_to_another_row_or_column_does_not_decrypt(harness, client):
    patient_id, allergy, medication = seed(harness, client)
    other = harness.run(make_patient, first_name="Other")
    stolen = harness.sql("SELECT national_id FROM patient WHERE id = {}", patient_id)[0]["national_id"]
    harness.sql("UPDATE patient SET national_id = {} WHERE id = {}", stolen, other)
    cipher = fields.cipher()
    with pytest.raises(DecryptionFailed):
        cipher.open(Patient, "national_id", other, stolen)
    note = harness.sql("SELECT notes FROM allergy WHERE id = {}", allergy)[0]["notes"]
    with pytest.raises(DecryptionFailed):
        cipher.open(Medication, "notes", medication, note)  # another table's column
    with pytest.raises(DecryptionFailed):
        cipher.open(Allergy, "reaction", allergy, note)  # another column of the same row
    relabelled = note.replace("enc1:test1:", "enc1:other:")
    with pytest.raises(DecryptionFailed):
        cipher.open(Allergy, "notes", allergy, relabelled)
    assert cipher.open(Allergy, "notes", allergy, note) == NOTE


def encrypted_values(harness) -> list[str]:
    values = []
    for field in fields.encrypted_fields():
        rows = harness.sql(f"SELECT {field.column} AS v FROM {field.table._meta.tablename}")
        values += [row["v"] for row in rows if row["v"]]
    return values


def test_rotation_re_encrypts_everything_and_can_be_run_again(harness, client):
    patient_id, allergy, _ = seed(harness, client)
    new_setting = new_key_setting("test2")
    rotated_keys = f"{new_setting},{TEST_ENCRYPTION_KEYS}"
    first = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=rotated_keys)
    assert first.returncode == 0, first.stderr
    assert "patient.national_id: 1 value(s) re-encrypted under key test2" in first.stdout
    values = encrypted_values(harness)
    assert len(values) == 5 and all(value.startswith("enc1:test2:") for value in values)
    again = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=rotated_keys)
    assert "patient.national_id: 0 value(s)" in again.stdout

    new_ring = Keyring.parse(rotated_keys)
    reader = fields.FieldCipher(new_ring, TEST_INDEX_KEY)
    national = harness.sql("SELECT national_id FROM patient WHERE id = {}", patient_id)[0]["national_id"]
    assert reader.open(Patient, "national_id", patient_id, national) == SSN
    note = harness.sql("SELECT notes FROM allergy WHERE id = {}", allergy)[0]["notes"]
    assert reader.open(Allergy, "notes", allergy, note) == NOTE
    # The blind index does not depend on the encryption key: look-ups still work.
    assert harness.run(find_by_national_id, SSN, "US") == [patient_id]

    back = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=f"{TEST_ENCRYPTION_KEYS},{new_setting}")
    assert back.returncode == 0
    assert all(value.startswith("enc1:test1:") for value in encrypted_values(harness))
    assert harness.audit("action = 'crypto.rotate_keys'")


class PowerCut(Exception):
    pass


def test_an_interrupted_rotation_finishes_when_run_again(harness, client, monkeypatch):
    seed(harness, client)
    original = fields._cipher
    new_ring = Keyring.parse(f"{new_key_setting('test3')},{TEST_ENCRYPTION_KEYS}")
    rotating = fields.FieldCipher(new_ring, TEST_INDEX_KEY)
    real_seal = rotating.seal
    calls = {"n": 0}

    def seal_until_the_power_goes(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise PowerCut()
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(fields, "_cipher", rotating)
    monkeypatch.setattr(rotating, "seal", seal_until_the_power_goes)
    with pytest.raises(PowerCut):
        harness.run(fields.rotate_keys)
    values = encrypted_values(harness)
    assert 0 < sum(value.startswith("enc1:test3:") for value in values) < len(values)
    monkeypatch.setattr(rotating, "seal", real_seal)
    harness.run(fields.rotate_keys)
    assert all(value.startswith("enc1:test3:") for value in encrypted_values(harness))
    # Rotate back to the suite's key so later tests read what they write.
    monkeypatch.setattr(fields, "_cipher", fields.FieldCipher(Keyring(tuple(reversed(new_ring.keys))), TEST_INDEX_KEY))
    harness.run(fields.rotate_keys)
    assert all(value.startswith("enc1:test1:") for value in encrypted_values(harness))
    monkeypatch.setattr(fields, "_cipher", original)
