"""The prescription screens' forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from decimal import Decimal

from clinic.core.forms import Field, FormSpec

DOSE_UNITS = (("mg", "mg"), ("mcg", "mcg"), ("g", "g"), ("mL", "mL"), ("tablet", "tablet(s)"),
              ("capsule", "capsule(s)"), ("puff", "puff(s)"), ("drop", "drop(s)"), ("spray", "spray(s)"),
              ("unit", "unit(s)"), ("patch", "patch(es)"), ("application", "application(s)"))
ROUTES = (("by mouth", "By mouth"), ("sublingual", "Under the tongue"), ("topical", "On the skin (topical)"),
          ("transdermal", "Patch (transdermal)"), ("inhaled", "Inhaled"), ("nasal", "In the nose"),
          ("eye", "In the eye"), ("ear", "In the ear"), ("subcutaneous", "Under the skin (subcutaneous)"),
          ("intramuscular", "Into a muscle (intramuscular)"), ("rectal", "Rectal"), ("vaginal", "Vaginal"))
# Offered as suggestions; anything else may be typed.
FREQUENCIES = ("once daily", "twice daily", "three times daily", "four times daily", "every 4 hours as needed",
               "every 6 hours", "every 6 hours as needed", "every 8 hours", "every 12 hours", "at bedtime",
               "once weekly", "as needed", "once only")
MAX_REFILLS = 11

PRESCRIPTION_FORM = FormSpec((
    Field("drug_name", "Drug", required=True, max_length=160, wide=True,
          hint="Start typing to search the drug list; a drug not on it is kept as free text."),
    Field("strength", "Strength", max_length=60, hint="e.g. 500 mg"),
    Field("form", "Form", max_length=40, hint="e.g. tablet, capsule"),
    Field("dose_amount", "Dose", kind="decimal", required=True, minimum=Decimal("0.001"), maximum=Decimal(100000),
          missing="Enter the dose (a number)."),
    Field("dose_unit", "Dose unit", kind="choice", required=True, choices=DOSE_UNITS),
    Field("route", "Route", kind="choice", required=True, choices=ROUTES),
    Field("frequency", "Frequency", required=True, max_length=80, hint="e.g. twice daily"),
    Field("duration", "Duration", max_length=40, hint="e.g. 7 days"),
    Field("quantity", "Quantity to dispense", max_length=40, hint="e.g. 21 capsules"),
    Field("refills", "Refills", kind="integer", minimum=0, maximum=MAX_REFILLS, hint="0 to 11"),
    Field("instructions", "Instructions for the patient", kind="textarea", max_length=1000,
          hint="Printed on the prescription."),
    Field("internal_note", "Internal note", kind="textarea", max_length=2000,
          hint="For colleagues only: never printed. Kept encrypted."),
))

SIGN_FORM = FormSpec((
    Field("override_reason", "Reason for prescribing despite the warnings", kind="textarea", max_length=500,
          wide=True),
))

DISCONTINUE_FORM = FormSpec((
    Field("stop_reason", "Reason for stopping", required=True, max_length=300, wide=True,
          missing="Say why the prescription is stopped."),
))
