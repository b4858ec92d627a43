"""Claims' forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.claims.payers import CLAIM_FORMATS, RESULTS
from clinic.core.forms import Field, FormSpec

PAYER_FORM = FormSpec((
    Field("name", "Payer name", required=True, max_length=120, hint="As it appears on patients' insurance cards."),
    Field("payer_code", "Payer id", required=True, max_length=80, hint="The id the clearinghouse lists for it."),
    Field("address_line1", "Claims address", max_length=120, wide=True),
    Field("city", "City", max_length=60),
    Field("region", "State (2 letters)", max_length=2),
    Field("postal_code", "ZIP code", max_length=15),
    Field("claim_format", "Claims are sent as", kind="choice", required=True, choices=tuple(CLAIM_FORMATS.items())),
))

PAYER_EDIT_FORM = FormSpec((*PAYER_FORM.fields, Field("active", "Still in use (active)", kind="checkbox")))

SETTINGS_FORM = FormSpec((
    Field("billing_npi", "Billing NPI", max_length=10, hint="The clinic's 10-digit National Provider Identifier."),
    Field("tax_id", "Tax id (EIN)", max_length=12),
    Field("submitter_id", "Submitter id", max_length=15, hint="Given by the clearinghouse."),
    Field("receiver_id", "Receiver id", max_length=15),
    Field("receiver_name", "Clearinghouse name", max_length=60),
    Field("contact_phone", "Billing contact phone", kind="tel", max_length=20),
    Field("waiting_days", "Flag submitted claims waiting more than (days)", kind="integer", required=True,
          minimum=1, maximum=365, max_length=3),
    Field("test_mode", "Mark files as test data (ISA15 T)", kind="checkbox"),
))

NEW_CLAIM_FORM = FormSpec((
    Field("invoice_id", "Invoice with a payer share", kind="choice", required=True, missing="Choose an invoice."),
))

STATE_FORM = FormSpec((
    Field("to_state", "Change to", kind="choice", required=True, missing="Choose the new state."),
    Field("codes", "Reason codes", max_length=200, hint="For a denial, e.g. CO-16, N290."),
    Field("note", "Note", max_length=300, wide=True, hint="Required for a write-off."),
))

REMITTANCE_FORM = FormSpec((
    Field("file", "835 remittance file", kind="textarea", required=True, max_length=19000,
          hint="Paste the contents of the payer's 835 file.", wide=True),
))

ELIGIBILITY_FORM = FormSpec((
    Field("checked_on", "Checked on", kind="date", required=True, past_only=True, missing="Enter the day of the check."),
    Field("result", "Result", kind="choice", required=True, choices=tuple(RESULTS.items())),
    Field("reference", "Reference", max_length=80, hint="The payer's call or portal reference."),
    Field("note", "Note", max_length=300, wide=True),
))
