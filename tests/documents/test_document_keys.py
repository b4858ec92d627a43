"""A document's key is sealed with the key ring: `clinic rotate-keys` moves it to the new key, the file still opens."""

from __future__ import annotations

from litestar.testing import TestClient

from clinic.core.crypto import new_key_setting
from clinic.security import fields
from tests.conftest import TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY
from tests.documents.test_documents import PDF, documents_url, stored_path, upload
from tests.factories import make_patient, sign_in_as
from tests.helpers import run_clinic


def test_rotation_reseals_the_document_key_and_the_file_opens_under_the_new_key_alone(harness, client, make_app):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    assert upload(client, patient_id, "referral.pdf", PDF).status_code == 200
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    before = stored_path(harness, document_id).read_bytes()
    new_key = new_key_setting("docs2")
    rotated = run_clinic(harness, "rotate-keys", CLINIC_ENCRYPTION_KEYS=f"{new_key},{TEST_ENCRYPTION_KEYS}")
    assert rotated.returncode == 0, rotated.stderr
    assert "patient_document.file_key: 1 value(s) re-encrypted under key docs2" in rotated.stdout
    assert harness.sql("SELECT file_key FROM patient_document")[0]["file_key"].startswith("enc1:docs2:")
    assert stored_path(harness, document_id).read_bytes() == before  # the file itself is not rewritten
    settings = harness.app.state.settings
    app = make_app(CLINIC_ENCRYPTION_KEYS=new_key, CLINIC_DATA_DIR=str(settings.data_dir))
    try:
        with TestClient(app, base_url="http://testserver.local") as other:
            other.cookies.set("clinic_session", doctor["token"], domain="testserver.local")
            response = other.get(f"{documents_url(patient_id)}/{document_id}/download")
            assert response.status_code == 200 and response.content == PDF
    finally:
        fields.configure(settings.keyring, TEST_INDEX_KEY)
        from clinic.piccolo_app import bind_tables

        bind_tables(harness.engine)
