"""Every text and JSON response says charset=utf-8, once: pages, fragments, errors, JSON, CSV, downloads."""

from __future__ import annotations

import pytest

from clinic.web.security_headers import with_one_utf8_charset
from tests.factories import make_patient, sign_in_as


def charset_declared_once(response) -> bool:
    [content_type] = response.headers.get_list("content-type")
    return content_type.lower().count("charset=") == 1 and "charset=utf-8" in content_type.lower()


def test_pages_fragments_errors_and_json_say_utf_8_once(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    responses = {
        "page": client.get("/"),
        "fragment": client.get("/", headers={"HX-Request": "true"}),
        "404 page": client.get("/no-such-page"),
        "404 as JSON": client.get("/no-such-page", headers={"Accept": "application/json"}),
        "health": client.get("/health"),
        "session status": client.get("/session/status"),
        "record download": client.get(f"/patients/{patient_id}/export.json"),
        "FHIR download": client.get(f"/patients/{patient_id}/export.fhir.json"),
        "redirect": client.get("/signin", follow_redirects=False),
        "stylesheet": client.get("/static/app.css"),
    }
    assert {name: response.headers["content-type"] for name, response in responses.items()
            if not charset_declared_once(response)} == {}


def test_the_audit_csv_and_its_refusal_say_utf_8_once(harness, client):
    sign_in_as(harness, "admin")
    export = client.get("/admin/audit.csv")
    refused = client.get("/admin/audit.csv?date_from=someday")
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    assert refused.status_code == 422 and refused.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("given, sent", [
    ("text/csv; charset=utf-8; charset=utf-8", "text/csv; charset=utf-8"),
    ("text/html; charset=UTF-8", "text/html; charset=utf-8"),
    ("application/json", "application/json; charset=utf-8"),
    ("application/fhir+json", "application/fhir+json; charset=utf-8"),
    ("text/plain; format=flowed", "text/plain; format=flowed; charset=utf-8"),
    ("text/plain; charset=iso-8859-1", "text/plain; charset=iso-8859-1"),  # not ours to relabel
    ("image/png", "image/png"),
    ("application/octet-stream", "application/octet-stream"),
])
def test_a_content_type_gets_one_utf_8_charset_when_it_is_text(given, sent):
    assert with_one_utf8_charset(given) == sent
