"""Billing's forms, declared once (see clinic.core.forms). Amounts are typed as the clinic writes
money and read by clinic.core.money.parse_money in the controller."""

from __future__ import annotations

from clinic.billing.payments import METHODS, REFUND_METHODS
from clinic.core.forms import Field, FormSpec

AMOUNT_HINT = "In the clinic's currency, e.g. 125.00"

FEE_FORM = FormSpec((
    Field("code", "Code", required=True, max_length=20, hint="CPT/HCPCS or the clinic's own code."),
    Field("description", "Description", required=True, max_length=200, wide=True),
    Field("price", "Price", required=True, max_length=40, hint=AMOUNT_HINT),
))

FEE_EDIT_FORM = FormSpec((
    Field("description", "Description", required=True, max_length=200, wide=True),
    Field("price", "Price", required=True, max_length=40),
    Field("active", "Offered (active)", kind="checkbox"),
))

PAYER_PRICE_FORM = FormSpec((
    Field("payer_id", "Payer", kind="choice", required=True, missing="Choose a payer."),
    Field("payer_price", "Payer's price", max_length=40, hint="Leave empty to use the clinic's price for this payer."),
))

SETTINGS_FORM = FormSpec((
    Field("no_show_fee_enabled", "Charge a fee for a missed appointment (no-show)", kind="checkbox"),
    Field("no_show_fee", "No-show fee", max_length=40),
    Field("late_cancel_fee_enabled", "Charge a fee for a late cancellation", kind="checkbox"),
    Field("late_cancel_fee", "Late-cancellation fee", max_length=40),
    Field("late_cancel_hours", "Late means fewer hours ahead than", kind="integer", required=True, minimum=1,
          maximum=168, max_length=3),
))

LINE_FORM = FormSpec((
    Field("code", "Code", max_length=20, hint="Its fee-schedule price is used when the price is left empty."),
    Field("description", "Description", max_length=200, wide=True),
    Field("quantity", "Quantity", kind="integer", required=True, minimum=1, maximum=999, max_length=3),
    Field("unit_price", "Unit price", max_length=40),
    Field("discount", "Discount", max_length=40),
))

NEW_INVOICE_FORM = FormSpec((
    Field("visit_id", "From a visit", kind="choice", blank="No visit: lines added by hand"),
    Field("policy_id", "Insurance", kind="choice", blank="None: the patient pays"),
))

POLICY_FORM = FormSpec((
    Field("policy_id", "Insurance", kind="choice", blank="None: the patient pays"),
))

PAYMENT_FORM = FormSpec((
    Field("amount", "Amount", required=True, max_length=40, hint=AMOUNT_HINT),
    Field("method", "Paid by", kind="choice", required=True, choices=tuple(METHODS.items())),
    Field("invoice_id", "Invoice", kind="choice", blank="Oldest open invoices first",
          hint="Insurance payments go to one invoice's insurance part."),
    Field("reference", "Reference", max_length=80, hint="Card slip, transfer or payer reference."),
))

REFUND_FORM = FormSpec((
    Field("amount", "Amount", required=True, max_length=40),
    Field("method", "Given back by", kind="choice", required=True, choices=tuple(REFUND_METHODS.items())),
    Field("reason", "Reason", required=True, max_length=300, wide=True),
))

VOID_FORM = FormSpec((
    Field("reason", "Why is it voided?", required=True, max_length=300, wide=True),
))

CREDIT_NOTE_FORM = FormSpec((
    Field("amount", "Amount to credit", required=True, max_length=40),
    Field("reason", "Reason", required=True, max_length=300, wide=True, hint="Printed on the credit note."),
))

POLICY_TERMS_FORM = FormSpec((
    Field("copay", "Copay", max_length=40),
    Field("coinsurance_percent", "Coinsurance (%)", kind="integer", minimum=0, maximum=100, max_length=3),
    Field("deductible", "Yearly deductible", max_length=40),
))

STATE_FILTER = (("open", "Open (issued or partly paid)"), ("draft", "Draft"), ("issued", "Issued"),
                ("partially_paid", "Partially paid"), ("paid", "Paid"), ("void", "Void"))
