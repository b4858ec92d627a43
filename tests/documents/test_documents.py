"""Documents on the chart: type by content, size limit, encrypted on disk, audited downloads, no other patient's."""

from __future__ import annotations

import io
import stat

from PIL import Image

from clinic.documents import storage
from tests.conftest import harness_for
from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>"
       b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n% Referral for Maria Garcia: chest pain on exertion\n")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 47 + b"PE\x00\x00" + b"\x00" * 400


def png(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def documents_url(patient_id: int) -> str:
    return f"/patients/{patient_id}/documents"


def upload(client, patient_id: int, name: str, content: bytes, title: str = "Cardiology referral",
           category: str = "referral"):
    return post(client, documents_url(patient_id), {"title": title, "category": category},
                files={"file": (name, content, "application/octet-stream")}, htmx=True)


def stored_path(harness, document_id: int):
    row = harness.sql("SELECT storage_name FROM patient_document WHERE id = {}", document_id)[0]
    return storage.path_for(harness.app.state.settings.documents_dir, row["storage_name"])


def test_a_pdf_is_attached_listed_and_audited(harness, client):
    nurse = sign_in_as(harness, "nurse", name="Nina Nurse")
    patient_id = harness.run(make_patient)
    response = upload(client, patient_id, "referral.pdf", PDF)
    assert response.status_code == 200 and is_fragment(response), response.text
    assert response.headers["hx-trigger"] == "chart-changed"
    entry = one(html(response), "li[data-document-id]")
    assert "Cardiology referral" in entry.text() and "Nina Nurse" in entry.text() and "PDF" in entry.text()
    row = harness.sql("SELECT id, media_type, extension, original_name, size_bytes, uploaded_by FROM patient_document")[0]
    assert (row["media_type"], row["extension"], row["original_name"], row["size_bytes"], row["uploaded_by"]) == (
        "application/pdf", "pdf", "referral.pdf", len(PDF), nurse["id"])
    assert harness.audit("action = 'document.upload'", columns="patient_id, entity_id") == [
        {"patient_id": patient_id, "entity_id": str(row["id"])}]
    chart = html(client.get(f"/patients/{patient_id}"))
    assert "Cardiology referral" in one(chart, "#section-documents").text()
    assert "Document attached" in one(chart, "#timeline").text()


def test_a_png_named_pdf_is_stored_as_the_png_it_is_with_a_thumbnail(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    assert upload(client, patient_id, "scan.pdf", png()).status_code == 200
    assert harness.sql("SELECT media_type, extension, has_thumbnail FROM patient_document") == [
        {"media_type": "image/png", "extension": "png", "has_thumbnail": 1}]
    page = html(client.get(documents_url(patient_id)))
    thumb = one(page, "img.document-thumb").attributes["src"]
    assert thumb.startswith("data:image/png;base64,")


def test_a_program_renamed_pdf_is_refused_with_a_clear_error(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    response = upload(client, patient_id, "results.pdf", EXE)
    assert response.status_code == 422
    tree = html(response)
    assert "not one of the kinds we keep (PDF, PNG image, JPEG image, TIFF image)" in one(tree, "#e-file-document").text()
    assert one(tree, "#f-title-document").attributes["value"] == "Cardiology referral"
    assert harness.sql("SELECT COUNT(*) AS n FROM patient_document")[0]["n"] == 0
    assert not list(harness.app.state.settings.documents_dir.rglob("*.part"))


def test_plain_text_and_an_empty_file_are_refused(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    assert upload(client, patient_id, "notes.pdf", b"just some words, not a PDF").status_code == 422
    missing = post(client, documents_url(patient_id), {"title": "Nothing", "category": "other"}, htmx=True)
    assert missing.status_code == 422 and "Choose a file" in missing.text
    assert harness.sql("SELECT COUNT(*) AS n FROM patient_document")[0]["n"] == 0


def test_a_file_over_the_size_limit_is_refused(make_app, backend):
    with harness_for(make_app(CLINIC_DOCUMENT_MAX_MB="1"), backend) as harness:
        sign_in_as(harness, "doctor")
        patient_id = harness.run(make_patient)
        big = png() + b"\x00" * (1024 * 1024 + 10)
        response = upload(harness.client, patient_id, "big.png", big)
        assert response.status_code in (413, 422)
        assert "the limit is 1.0 MB" in response.text or "larger than the limit of 1.0 MB" in response.text
        assert harness.sql("SELECT COUNT(*) AS n FROM patient_document")[0]["n"] == 0
        assert upload(harness.client, patient_id, "small.png", png()).status_code == 200


def test_the_file_on_disk_is_encrypted_private_and_randomly_named(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "referral.pdf", PDF)
    document = harness.sql("SELECT id, storage_name, file_key FROM patient_document")[0]
    path = stored_path(harness, document["id"])
    on_disk = path.read_bytes()
    assert on_disk != PDF and b"Maria Garcia" not in on_disk and b"%PDF" not in on_disk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "referral" not in path.name and len(document["storage_name"]) == 40
    assert document["file_key"].startswith("enc1:test1:")  # the document key, sealed under the ring's key id
    assert "static" not in path.parts


def test_a_download_is_an_audited_attachment_that_is_never_sniffed(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "referral.pdf", PDF, title="Referral: Dr. Ng / cardiology")
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    response = client.get(f"{documents_url(patient_id)}/{document_id}/download")
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="Referral-Dr.-Ng-cardiology.pdf"')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["cache-control"] == "no-store"
    assert harness.audit("action = 'document.download'", columns="patient_id, staff_id, detail") == [
        {"patient_id": patient_id, "staff_id": doctor["id"], "detail": f"document {document_id}"}]


def test_a_pdf_opens_in_the_browsers_viewer_under_its_own_policy_and_is_audited(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "referral.pdf", PDF, title="Referral: Dr. Ng / cardiology")
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    card = html(client.get(documents_url(patient_id), headers={"HX-Request": "true"}))
    opener = one(card, f"a[href='{documents_url(patient_id)}/{document_id}/view']")
    assert opener.attributes["target"] == "_blank" and "noopener" in opener.attributes["rel"]
    response = client.get(f"{documents_url(patient_id)}/{document_id}/view")
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('inline; filename="Referral-Dr.-Ng-cardiology.pdf"')
    policy = response.headers["content-security-policy"]
    # No script from our origin; the viewer's embed of the file allowed (Chromium refuses a sandboxed PDF).
    assert "default-src 'none'" in policy and "object-src 'self'" in policy and "sandbox" not in policy
    assert "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert harness.audit("action = 'document.view'", columns="patient_id, staff_id, detail") == [
        {"patient_id": patient_id, "staff_id": doctor["id"], "detail": f"document {document_id}"}]


def test_only_a_pdf_opens_in_the_viewer_anything_else_is_saved(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "scan.pdf", png(), title="Scan")  # named .pdf, but a PNG
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    card = html(client.get(documents_url(patient_id), headers={"HX-Request": "true"}))
    assert not card.css("a[href$='/view']")
    response = client.get(f"{documents_url(patient_id)}/{document_id}/view")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-security-policy"].startswith("sandbox")


def test_a_stored_pdf_whose_bytes_are_not_a_pdfs_is_never_sent_inline():
    from clinic.web.files import pdf_view

    response = pdf_view(b"<html><script>alert(1)</script>", "x.pdf")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.media_type == "application/octet-stream"
    assert pdf_view(PDF, "x.pdf").headers["Content-Disposition"].startswith("inline;")


def test_another_patients_document_is_not_found(harness, client):
    sign_in_as(harness, "doctor")
    owner = harness.run(make_patient, first_name="Owner")
    other = harness.run(make_patient, first_name="Other")
    upload(client, owner, "referral.pdf", PDF)
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    assert client.get(f"{documents_url(other)}/{document_id}/download").status_code == 404
    assert client.get(f"{documents_url(other)}/{document_id}/view").status_code == 404
    assert post(client, f"{documents_url(other)}/{document_id}/error", {}).status_code == 404
    assert harness.sql("SELECT status FROM patient_document") == [{"status": "active"}]


def test_roles_without_clinical_access_cannot_list_or_download(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "referral.pdf", PDF)
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    sign_in_as(harness, "receptionist")
    assert client.get(documents_url(patient_id)).status_code == 403
    assert client.get(f"{documents_url(patient_id)}/{document_id}/download").status_code == 403
    assert client.get(f"{documents_url(patient_id)}/{document_id}/view").status_code == 403
    assert upload(client, patient_id, "x.png", png()).status_code == 403
    assert harness.sql("SELECT COUNT(*) AS n FROM patient_document")[0]["n"] == 1


def test_a_tampered_file_does_not_decrypt(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "a.pdf", PDF, title="First")
    upload(client, patient_id, "b.png", png(), title="Second")
    first, second = [row["id"] for row in harness.sql("SELECT id FROM patient_document ORDER BY id")]
    # Another document's file put in its place fails to open instead of showing the wrong content.
    stored_path(harness, first).write_bytes(stored_path(harness, second).read_bytes())
    assert client.get(f"{documents_url(patient_id)}/{first}/download").status_code == 404


def test_marking_entered_in_error_hides_it_and_is_audited(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    upload(client, patient_id, "a.pdf", PDF)
    document_id = harness.sql("SELECT id FROM patient_document")[0]["id"]
    response = post(client, f"{documents_url(patient_id)}/{document_id}/error", {}, htmx=True)
    assert response.status_code == 200 and not html(response).css("li[data-document-id]")
    assert harness.audit("action = 'document.status'", columns="patient_id") == [{"patient_id": patient_id}]


def test_a_document_attached_from_a_visit_keeps_its_id(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    form = html(client.get(documents_url(patient_id), params={"visit": "7"}))
    assert one(form, "input[name=visit_id]").attributes["value"] == "7"
    post(client, documents_url(patient_id), {"title": "ECG", "category": "imaging", "visit_id": "7"},
         files={"file": ("ecg.png", png(), "image/png")}, htmx=True)
    assert harness.sql("SELECT visit_id FROM patient_document") == [{"visit_id": 7}]
