"""Who may do what: the permission matrix, in one place.

Every route declares the permission it needs (``opt={"permission": ...}``)
or that it is public; a route that declares neither is refused to everyone
(see guards.py), and a test walks every registered route to prove it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DOCTOR = "doctor"
    NURSE = "nurse"
    RECEPTIONIST = "receptionist"
    BILLING = "billing"


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.DOCTOR: "Doctor",
    Role.NURSE: "Nurse",
    Role.RECEPTIONIST: "Receptionist",
    Role.BILLING: "Billing",
}

# Roles whose members see patients on the schedule (and get a colour).
CLINICIAN_ROLES = {Role.DOCTOR, Role.NURSE}

# Any signed-in member of staff: their own account, the today page.
SIGNED_IN = "account.self"

PERMISSIONS: dict[str, str] = {
    SIGNED_IN: "Use the app: their own account and password, the day's overview",
    "patients.read": "Find patients and see demographics and appointments",
    "patients.write": "Register patients and edit demographics",
    "appointments.read": "See the schedule",
    "appointments.write": "Book, move and cancel appointments",
    "clinical.read": "See allergies, medications, problems, history, vitals and notes",
    "clinical.write": "Record and change clinical information",
    "prescriptions.write": "Write prescriptions",
    "notes.templates": "Define the note templates visits start from",
    "insurance.read": "See insurance details (member numbers masked)",
    "insurance.write": "Add and end a patient's insurance policies",
    "billing.write": "Create invoices, record payments, submit claims",
    "sensitive.reveal": "Reveal masked identifiers (SSN, member numbers)",
    "records.export": "Export a patient's complete record",
    "reports.read": "See reports and analytics",
    "staff.manage": "Create and change staff accounts, roles and sessions",
    "security.manage": "Set clinic-wide security policy",
    "practice.manage": "Change the clinic's name, address, hours, closures and defaults",
    "audit.read": "Read the audit trail and break-the-glass accesses",
    "system.manage": "See background work and retry failed jobs",
}

_EVERYONE = {SIGNED_IN}
MATRIX: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(_EVERYONE | {
        "patients.read", "patients.write", "appointments.read", "appointments.write", "reports.read",
        "staff.manage", "security.manage", "audit.read", "records.export", "practice.manage", "system.manage",
        "notes.templates",
    }),
    Role.DOCTOR: frozenset(_EVERYONE | {
        "patients.read", "patients.write", "appointments.read", "appointments.write", "clinical.read",
        "clinical.write", "prescriptions.write", "insurance.read", "sensitive.reveal", "records.export",
        "reports.read", "notes.templates",
    }),
    Role.NURSE: frozenset(_EVERYONE | {
        "patients.read", "patients.write", "appointments.read", "appointments.write", "clinical.read",
        "clinical.write",
    }),
    Role.RECEPTIONIST: frozenset(_EVERYONE | {
        "patients.read", "patients.write", "appointments.read", "appointments.write", "insurance.read",
        "insurance.write",
    }),
    Role.BILLING: frozenset(_EVERYONE | {
        "patients.read", "appointments.read", "insurance.read", "insurance.write", "billing.write",
        "sensitive.reveal", "reports.read",
    }),
}

# Permissions a user without them may still obtain for one patient, for a
# while, by giving a reason (break-the-glass; see clinic/audit/break_glass.py).
BREAK_GLASS_PERMISSIONS = {"clinical.read"}


def permissions_of(role: str) -> frozenset[str]:
    try:
        return MATRIX[Role(role)]
    except ValueError:
        return frozenset()


def is_role(value: str) -> bool:
    return value in Role._value2member_map_
