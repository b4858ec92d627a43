"""The visit screens' forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec

NEW_VISIT_FORM = FormSpec((
    Field("reason", "Reason for the visit", max_length=200, hint="In a few words, e.g. “Follow-up of diabetes”."),
    Field("template_id", "Note template", kind="choice", blank="SOAP (subjective, objective, assessment, plan)"),
    Field("appointment_id", "Appointment", kind="choice", blank="No appointment (seen without one)"),
))

DETAILS_FORM = FormSpec((
    Field("reason", "Reason for the visit", max_length=200),
    Field("follow_up", "Follow-up", kind="textarea", max_length=2000, wide=True,
          hint="When to come back and why. Kept encrypted."),
))

SERVICE_FORM = FormSpec((
    Field("service_code", "Code", max_length=20, hint="CPT or the clinic's own code, if any."),
    Field("service_description", "Service or procedure", required=True, max_length=200),
    Field("quantity", "Quantity", kind="integer", minimum=1, maximum=99, max_length=2),
))

ADDENDUM_FORM = FormSpec((
    Field("addendum", "Addendum", kind="textarea", required=True, max_length=20000, wide=True,
          hint="Signed with your name and the time. The note itself stays as signed."),
))

TEMPLATE_FORM = FormSpec((
    Field("name", "Name", required=True, max_length=80),
    Field("visit_type", "Visit type", max_length=80,
          hint="The appointment type it is for (e.g. “New patient”), or leave empty."),
    Field("outline", "Sections", kind="textarea", required=True, max_length=20000, wide=True,
          hint="Start each section with “## Title”. An optional next line “? prompt” guides the writer; "
               "the lines after it are the text the section starts with."),
    Field("active", "Offered when a visit opens", kind="checkbox"),
))
