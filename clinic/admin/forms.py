"""The administrators' filter forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.audit.actions import ACTIONS
from clinic.core.forms import Field, FormSpec

ORDERS = (("newest", "Newest first"), ("oldest", "Oldest first"))
MFA_POLICY = (("admins", "Administrators only (others may turn it on)"), ("everyone", "Everyone"))

POLICY_FORM = FormSpec((
    Field("mfa_required_for", "Who must use two-step sign-in?", kind="radio", required=True, choices=MFA_POLICY,
          hint="It applies from each person’s next sign-in."),
))


def audit_filters(staff_names: dict[int, str], actions: list[str]) -> FormSpec:
    people = tuple((str(staff_id), name) for staff_id, name in sorted(staff_names.items(), key=lambda item: item[1]))
    known = tuple((action, ACTIONS.get(action, action)) for action in actions)
    return FormSpec((
        Field("staff", "Staff", kind="choice", blank="Anyone", choices=people),
        Field("action", "Action", kind="choice", blank="Any action", choices=known),
        Field("patient", "Patient", max_length=100, hint="Name, MRN or id"),
        Field("date_from", "From", kind="date"),
        Field("date_to", "To", kind="date"),
        Field("order", "Order", kind="choice", choices=ORDERS),
    ))
