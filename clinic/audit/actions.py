"""Audit actions in plain language, for the viewer and for a patient's access report.

The trail stores short codes (``clinical.create``) and ids; people read
sentences ("Added to the allergies"). An action without a description here
shows its code, so nothing recorded is ever hidden.
"""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    "access.denied": "Was refused access",
    "audit.break_glass_review": "Reviewed break-the-glass accesses",
    "audit.export": "Exported the audit trail",
    "audit.read": "Read the audit trail",
    "auth.confirm_failed": "Failed to confirm their password",
    "auth.confirmed": "Confirmed their password",
    "auth.login": "Signed in",
    "auth.login_failed": "Failed to sign in",
    "auth.logout": "Signed out",
    "auth.mfa_disabled": "Turned off two-step sign-in",
    "auth.mfa_enrol_failed": "Entered a wrong code while setting up two-step sign-in",
    "auth.mfa_enrolled": "Set up two-step sign-in",
    "auth.mfa_failed": "Entered a wrong sign-in code",
    "auth.mfa_passed": "Passed two-step sign-in",
    "auth.mfa_recovery_used": "Used a recovery code",
    "auth.password_changed": "Changed their password",
    "auth.password_change_failed": "Gave a wrong current password when changing it",
    "auth.recovery_codes_replaced": "Made new recovery codes",
    "billing.credit_apply": "Applied the patient's credit to invoices",
    "billing.credit_note": "Issued a credit note",
    "billing.fee_create": "Added a fee to the fee schedule",
    "billing.fee_update": "Changed a fee in the fee schedule",
    "billing.insurance_settle": "Moved or wrote off an insurance balance",
    "billing.invoice_create": "Created an invoice",
    "billing.invoice_issue": "Issued an invoice",
    "billing.invoice_line_add": "Added a line to a draft invoice",
    "billing.invoice_line_remove": "Removed a line from a draft invoice",
    "billing.invoice_update": "Changed a draft invoice",
    "billing.invoice_void": "Voided an invoice",
    "billing.payment": "Recorded a payment",
    "billing.refund": "Refunded the patient's credit",
    "billing.settings": "Changed the billing settings",
    "clinical.create": "Added to the chart",
    "clinical.no_known_allergies": "Recorded no known allergies",
    "clinical.status": "Changed the status of a chart entry",
    "clinical.update": "Changed a chart entry",
    "crypto.rotate_keys": "Re-encrypted stored values under a new key",
    "insurance.create": "Added an insurance policy",
    "insurance.end": "Ended an insurance policy",
    "insurance.terms": "Changed a policy's copay, coinsurance or deductible",
    "job.retry": "Retried a background job",
    "notes.template_create": "Created a note template",
    "notes.template_update": "Changed a note template",
    "notes.favourite": "Changed the clinic's favourite diagnosis codes",
    "patient.archive": "Archived the record",
    "patient.break_glass": "Broke the glass to open clinical information",
    "patient.create": "Registered the patient",
    "patient.export": "Exported the complete record",
    "patient.merge": "Merged a duplicate record into this one",
    "patient.merged_away": "Merged this record into another",
    "patient.read": "Viewed",
    "patient.restore": "Restored the record",
    "patient.reveal": "Revealed a masked identifier",
    "patient.update": "Changed the patient's details",
    "practice.closure_add": "Added days the clinic is closed",
    "practice.closure_remove": "Removed days the clinic is closed",
    "practice.update": "Changed the clinic's settings",
    "security.mfa_policy": "Changed the two-step sign-in policy",
    "visit.addendum": "Added an addendum to a visit note",
    "visit.cosign": "Co-signed a visit note",
    "visit.diagnosis_add": "Added a diagnosis to a visit",
    "visit.diagnosis_remove": "Removed a diagnosis from a visit",
    "visit.note_saved": "Saved a visit note draft",
    "visit.open": "Opened a visit",
    "visit.service_add": "Added a service to a visit",
    "visit.service_remove": "Removed a service from a visit",
    "visit.sign": "Signed a visit note",
    "visit.update": "Changed a visit's reason or follow-up",
    "visit.vitals": "Recorded vital signs during a visit",
    "staff.create": "Created a staff account",
    "staff.deactivate": "Deactivated a staff account",
    "staff.mfa_reset": "Reset someone's two-step sign-in",
    "staff.password_reset": "Reset someone's password",
    "staff.reactivate": "Reactivated a staff account",
    "staff.role_change": "Changed someone's role",
    "staff.session_end": "Ended someone's session",
    "staff.unlock": "Unlocked someone's sign-in",
    "staff.update": "Changed a staff member's details",
}

# What a read showed, from the route's ``shows`` (clinic/patients/access.py).
SHOWN = {
    "chart": "the chart", "chart header": "the chart header", "summary": "the chart summary",
    "timeline": "the timeline", "edit form": "the details form", "insurance": "the insurance",
    "merge form": "the merge form", "allergies": "the allergies", "medications": "the medications",
    "problems": "the problems", "history": "the history", "immunizations": "the immunisations",
    "vitals": "the vital signs", "today": "the day's appointments", "patient list": "the patient list",
    "search results": "search results", "possible duplicates": "possible duplicates at registration",
    "merge preview": "a record to merge into", "edit conflict": "a colleague's changes to the details",
    "new visit form": "the form that opens a visit", "unsigned notes": "the list of notes still to sign",
}


def describe(action: str, detail: str = "") -> str:
    """One sentence for an entry: what was done (and, for a read, what was seen)."""
    words = ACTIONS.get(action, action)
    if action == "patient.read":
        return f"{words} {shown(detail)}"
    return words


def shown(detail: str) -> str:
    """What a read showed: "allergies entry" (an entry's edit form) reads "an entry in the allergies"."""
    if detail.startswith("visit ") and detail.removeprefix("visit ").isdigit():
        return f"the note of visit {detail.removeprefix('visit ')}"
    if detail in SHOWN or not detail.endswith(" entry"):
        return SHOWN.get(detail, detail or "the record")
    section = detail.removesuffix(" entry")
    return f"an entry in {SHOWN.get(section, section)}"
