"""The document upload form (the file itself is read apart: see controllers.py)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec

CATEGORIES = (("referral", "Referral letter"), ("lab_result", "Lab result"), ("imaging", "Imaging report or image"),
              ("letter", "Letter"), ("consent", "Consent form"), ("id", "Identity or insurance card"),
              ("other", "Other"))

DOCUMENT_FORM = FormSpec((
    Field("title", "Title", required=True, max_length=200, hint="e.g. Cardiology referral, March lipid panel"),
    Field("category", "Kind of document", kind="choice", required=True, choices=CATEGORIES),
))
