"""The billing screens over HTTP: invoices list, fee schedule, ledger, invoice, documents."""

import io

from pypdf import PdfReader

from clinic.billing import invoices as billing
from tests.billing.billing_factories import BILLER, fee, insured_patient, issued_invoice, visit_with_services
from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one, texts


def test_the_invoices_list_is_empty_at_first_and_says_so(harness):
    sign_in_as(harness, "billing")
    page = harness.client.get("/billing")
    assert page.status_code == 200
    assert one(html(page), "#invoice-rows .empty")


def test_the_invoices_list_filters_by_state_and_pages_as_a_fragment(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    harness.run(issued_invoice, patient_id, 1000)
    harness.run(billing.create_invoice, patient_id, BILLER)
    tree = html(harness.client.get("/billing?state=all"))
    assert len(tree.css("tr[data-invoice-id]")) == 2
    fragment = harness.client.get("/billing?state=draft", headers={"HX-Request": "true", "HX-Target": "invoice-rows"})
    assert is_fragment(fragment)
    assert len(html(fragment).css("tr[data-invoice-id]")) == 1
    assert "Vary" in fragment.headers


def test_a_fee_is_added_and_a_wrong_price_is_shown_beside_its_field_with_the_input_kept(harness):
    sign_in_as(harness, "billing")
    bad = post(harness.client, "/billing/fees", {"code": "99213", "description": "Office visit", "price": "12.345"},
               htmx=True, headers={"HX-Target": "fee-list"})
    assert bad.status_code == 422
    tree = html(bad)
    assert one(tree, "#e-price") and one(tree, "#f-code").attributes["value"] == "99213"
    good = post(harness.client, "/billing/fees", {"code": "99213", "description": "Office visit", "price": "125.50"},
                htmx=True, headers={"HX-Target": "fee-list"})
    assert good.status_code == 200
    assert harness.sql("SELECT price FROM fee_schedule_item WHERE code = '99213'")[0]["price"] == 12550


def test_the_billing_settings_switch_on_a_no_show_fee(harness):
    sign_in_as(harness, "billing")
    page = post(harness.client, "/billing/settings", {"no_show_fee_enabled": "1", "no_show_fee": "",
                                                      "late_cancel_hours": "24", "version": "0"})
    assert page.status_code == 422 and one(html(page), "#e-no_show_fee")
    post(harness.client, "/billing/settings", {"no_show_fee_enabled": "1", "no_show_fee": "25",
                                               "late_cancel_hours": "24", "version": "0"})
    row = harness.sql("SELECT no_show_fee_enabled, no_show_fee FROM billing_settings")[0]
    assert (bool(row["no_show_fee_enabled"]), row["no_show_fee"]) == (True, 2500)


def test_a_visit_becomes_an_invoice_that_is_issued_paid_by_card_and_receipted(harness):
    sign_in_as(harness, "billing")
    patient_id, _ = harness.run(insured_patient, copay=2500, coinsurance_percent=0)
    harness.run(fee, "99213", 10000)
    visit_id, _ = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1))
    created = post(harness.client, f"/patients/{patient_id}/billing/invoices", {"visit_id": str(visit_id)})
    assert created.status_code == 303
    invoice_url = created.headers["location"]
    invoice_id = int(invoice_url.rsplit("/", 1)[1])
    assert post(harness.client, f"{invoice_url}/issue").status_code == 303
    page = html(harness.client.get(invoice_url))
    assert one(page, "[data-patient-open]").text() == "$25.00"
    assert one(page, "[data-insurance-open]").text() == "$75.00"
    paid = post(harness.client, f"/patients/{patient_id}/billing/payments",
                {"amount": "25.00", "method": "card", "invoice_id": str(invoice_id), "reference": "slip 42"})
    assert paid.status_code == 303 and "/receipt" in paid.headers["location"]
    receipt = harness.client.get(paid.headers["location"])
    assert one(html(receipt), "[data-amount]").text() == "$25.00"
    pdf = harness.client.get(paid.headers["location"] + ".pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Receipt" in text and "$25.00" in text
    ledger_page = html(harness.client.get(f"/patients/{patient_id}/billing"))
    assert one(ledger_page, '[data-balance="insurance"]').text() == "$75.00"
    assert one(ledger_page, '[data-balance="patient"]').text() == "$0.00"


def test_an_issued_invoice_refuses_new_lines(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 1000)
    page = post(harness.client, f"/patients/{patient_id}/billing/invoices/{invoice_id}/lines",
                {"description": "More", "quantity": "1", "unit_price": "5"}, htmx=True,
                headers={"HX-Target": "invoice-lines"})
    assert page.status_code == 422
    assert harness.sql("SELECT COUNT(*) AS n FROM invoice_line WHERE invoice = {}", invoice_id)[0]["n"] == 1


def test_lines_are_added_to_a_draft_priced_from_the_fee_schedule(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    harness.run(fee, "A1", 4000, "Dressing")
    invoice_id = harness.run(billing.create_invoice, patient_id, BILLER)
    page = post(harness.client, f"/patients/{patient_id}/billing/invoices/{invoice_id}/lines",
                {"code": "a1", "quantity": "2", "discount": "5"}, htmx=True, headers={"HX-Target": "invoice-lines"})
    assert page.status_code == 200 and is_fragment(page)
    assert texts(html(page), "tr[data-line-id] td[data-label=Description]") == ["Dressing"]
    assert harness.run(billing.get_invoice, invoice_id)["total"] == 7500


def test_voiding_without_a_reason_keeps_the_invoice_and_says_why(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 1000)
    page = post(harness.client, f"/patients/{patient_id}/billing/invoices/{invoice_id}/void", {"reason": ""},
                htmx=True, headers={"HX-Target": "invoice-actions"})
    assert page.status_code == 422 and one(html(page), "#e-reason-void")
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "issued"


def test_another_patients_invoice_is_not_found(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    other = harness.run(make_patient, first_name="Ana")
    invoice_id = harness.run(issued_invoice, other, 1000)
    assert harness.client.get(f"/patients/{patient_id}/billing/invoices/{invoice_id}").status_code == 404
    assert post(harness.client, f"/patients/{patient_id}/billing/invoices/{invoice_id}/void",
                {"reason": "x"}).status_code == 404


def test_the_statement_and_superbill_print_and_download(harness):
    sign_in_as(harness, "billing")
    patient_id, policy_id = harness.run(insured_patient, copay=1000, coinsurance_percent=0)
    invoice_id = harness.run(issued_invoice, patient_id, 5000, policy_id=policy_id)
    statement = html(harness.client.get(f"/patients/{patient_id}/billing/statement"))
    assert one(statement, '[data-balance="insurance"]').text() == "$40.00"
    assert one(statement, '[data-balance="patient"]').text().strip() == "$10.00"
    pdf = harness.client.get(f"/patients/{patient_id}/billing/statement.pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Pending with insurance" in text and "$40.00" in text
    superbill = harness.client.get(f"/patients/{patient_id}/billing/invoices/{invoice_id}/superbill")
    assert superbill.status_code == 200
    pdf = harness.client.get(f"/patients/{patient_id}/billing/invoices/{invoice_id}/superbill.pdf")
    assert PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().count("$50.00") >= 1


def test_roles_without_billing_are_refused_the_ledger(harness):
    patient_id = harness.run(make_patient)
    for role in ("doctor", "nurse", "receptionist", "admin"):
        sign_in_as(harness, role)
        assert harness.client.get(f"/patients/{patient_id}/billing").status_code == 403, role
        assert harness.client.get("/billing").status_code == 403, role


def test_the_billing_users_day_starts_with_what_is_open(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    harness.run(issued_invoice, patient_id, 1000)
    harness.run(billing.create_invoice, patient_id, BILLER)
    tree = html(harness.client.get("/"))
    assert one(tree, '[data-billing="open"]').text() == "1"
    assert one(tree, '[data-billing="drafts"]').text() == "1"
    sign_in_as(harness, "receptionist")
    assert html(harness.client.get("/")).css_first("#billing-today") is None
