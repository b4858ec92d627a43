"""The claims screens over HTTP: work queue, claim, batch downloads, 835 import, payers (both backends)."""

from clinic.claims import export, services
from tests.claims.claim_factories import claim_in_state, insured_invoice, set_up_claims
from tests.claims.test_remittance_import import an_835, clp
from tests.factories import post, sign_in_as
from tests.helpers import html, is_fragment, one, texts


def test_the_queue_shows_ready_waiting_and_denied_claims_apart(harness):
    harness.run(set_up_claims)
    ready = harness.run(claim_in_state, "ready")
    denied = harness.run(claim_in_state, "denied")
    waiting = harness.run(claim_in_state, "submitted")
    harness.sql(f"UPDATE claim SET submitted_at = '2000-01-01 00:00:00' WHERE id = {waiting}")
    sign_in_as(harness, "billing")
    tree = html(harness.client.get("/claims"))
    assert [row.attributes["data-claim-id"] for row in tree.css("#ready-rows tr[data-claim-id]")] == [str(ready)]
    assert [row.attributes["data-claim-id"] for row in tree.css("#denied-rows tr[data-claim-id]")] == [str(denied)]
    assert [row.attributes["data-claim-id"] for row in tree.css("#waiting-rows tr[data-claim-id]")] == [str(waiting)]


def test_a_claim_is_created_from_an_invoice_on_the_queue(harness):
    harness.run(set_up_claims)
    invoice_id = harness.run(insured_invoice, 15000)
    sign_in_as(harness, "billing")
    tree = html(harness.client.get("/claims"))
    assert str(invoice_id) in [option.attributes.get("value") for option in tree.css("#f-invoice_id option")]
    response = post(harness.client, "/claims/new", {"invoice_id": str(invoice_id)})
    assert response.status_code == 303
    assert harness.sql("SELECT COUNT(*) AS n FROM claim")[0]["n"] == 1


def test_a_wrong_invoice_choice_is_shown_beside_the_field_as_a_fragment(harness):
    harness.run(set_up_claims)
    sign_in_as(harness, "billing")
    response = post(harness.client, "/claims/new", {"invoice_id": "999"}, htmx=True)
    assert response.status_code == 422 and is_fragment(response)
    assert one(html(response), "#new-claim #e-invoice_id")


def test_exporting_a_batch_submits_the_claims_and_the_download_is_audited(harness):
    harness.run(set_up_claims)
    claim_id = harness.run(claim_in_state, "ready")
    sign_in_as(harness, "billing")
    response = post(harness.client, "/claims/batches", {})
    assert response.status_code == 303
    assert harness.run(services.get_claim, claim_id)["state"] == "submitted"
    batch = harness.run(export.recent_batches)[0]
    download = harness.client.get(f"/claims/batches/{batch['id']}/837")
    assert download.status_code == 200 and download.text.startswith("ISA*")
    assert "attachment" in download.headers["content-disposition"]
    csv_download = harness.client.get(f"/claims/batches/{batch['id']}/csv")
    assert csv_download.text.startswith("claim_number,")
    audited = harness.sql("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'claims.batch_download'")
    assert audited[0]["n"] == 2


def test_a_claim_is_denied_with_codes_on_its_page_and_a_missing_code_is_shown_inline(harness):
    harness.run(set_up_claims)
    claim_id = harness.run(claim_in_state, "accepted")
    sign_in_as(harness, "billing")
    page = harness.client.get(f"/claims/{claim_id}")
    assert page.status_code == 200 and one(html(page), "[data-claim-state=accepted]")
    bad = post(harness.client, f"/claims/{claim_id}/state", {"to_state": "denied", "codes": ""}, htmx=True)
    assert bad.status_code == 422 and one(html(bad), "#e-codes")
    good = post(harness.client, f"/claims/{claim_id}/state", {"to_state": "denied", "codes": "CO-16"}, htmx=True)
    assert good.status_code == 200 and one(html(good), "[data-claim-state=denied]")


def test_a_refused_change_is_not_offered_and_not_accepted(harness):
    harness.run(set_up_claims)
    claim_id = harness.run(claim_in_state, "draft")
    sign_in_as(harness, "billing")
    offered = [o.attributes.get("value") for o in html(harness.client.get(f"/claims/{claim_id}")).css(
        "#f-to_state option")]
    assert "paid" not in offered and "ready" in offered
    refused = post(harness.client, f"/claims/{claim_id}/state", {"to_state": "paid"}, htmx=True)
    assert refused.status_code == 422
    assert harness.run(services.get_claim, claim_id)["state"] == "draft"


def test_an_835_pasted_on_the_queue_is_posted_and_a_second_time_refused(harness):
    harness.run(set_up_claims)
    claim = harness.run(services.get_claim, harness.run(claim_in_state, "submitted"))
    text = an_835("SCREEN1", clp(claim["number"], "1", "150", "130", "20", "SVC*HC:99212*150*130**1~",
                                 "CAS*PR*3*20~"))
    sign_in_as(harness, "billing")
    first = post(harness.client, "/claims/remittances", {"file": text})
    assert first.status_code == 200 and "1 lines posted" in first.text
    again = post(harness.client, "/claims/remittances", {"file": text}, htmx=True)
    assert again.status_code == 422 and one(html(again), "#e-file")


def test_a_payer_is_added_and_a_bad_payer_id_is_shown_with_the_input_kept(harness):
    sign_in_as(harness, "billing")
    bad = post(harness.client, "/claims/payers", {"name": "Acme", "payer_code": "AC ME!", "claim_format": "837p"},
               htmx=True)
    assert bad.status_code == 422 and one(html(bad), "#e-payer_code")
    assert one(html(bad), "#f-name").attributes["value"] == "Acme"
    good = post(harness.client, "/claims/payers", {"name": "Acme", "payer_code": "ACME1", "claim_format": "837p"},
                htmx=True)
    assert good.status_code == 200 and "Acme" in texts(html(good), "tr[data-payer-id] td")


def test_a_wrong_npi_is_refused_on_the_claim_settings(harness):
    sign_in_as(harness, "billing")
    bad = post(harness.client, "/claims/settings", {"billing_npi": "1234567890", "waiting_days": "30",
                                                    "version": "0"}, htmx=True)
    assert bad.status_code == 422 and one(html(bad), "#e-billing_npi")
    good = post(harness.client, "/claims/settings", {"billing_npi": "1234567893", "waiting_days": "30",
                                                     "version": "0"}, htmx=True)
    assert good.status_code == 200
    assert harness.sql("SELECT billing_npi FROM claim_settings")[0]["billing_npi"] == "1234567893"


def test_a_receptionist_cannot_open_the_claims_screens(harness):
    sign_in_as(harness, "receptionist")
    assert harness.client.get("/claims").status_code == 403
    assert harness.client.get("/claims/payers").status_code == 403
