"""The staff screens' forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec
from clinic.security.permissions import ROLE_LABELS, Role

COLOURS = ("teal", "indigo", "amber", "rose", "green", "purple", "orange", "slate")
ROLES = tuple((role.value, ROLE_LABELS[role]) for role in Role)
STATUSES = {"active": "Active", "inactive": "Inactive", "all": "All"}
SORT_LABELS = {"name": "Name A–Z", "-name": "Name Z–A", "role": "Role", "-last_sign_in": "Last sign-in"}

STAFF_FORM = FormSpec((
    Field("full_name", "Full name", required=True, max_length=120, missing="Enter the person's full name."),
    Field("display_name", "Name on the schedule", max_length=60,
          hint="Short, e.g. “Dr. Okafor”. Defaults to the first name."),
    Field("email", "Email (used to sign in)", kind="email", required=True, max_length=254),
    Field("colour", "Colour on the schedule (clinicians)", kind="choice", blank="None",
          choices=tuple((colour, colour.capitalize()) for colour in COLOURS)),
    Field("role", "Role", kind="choice", required=True, choices=ROLES, missing="Choose a role."),
    Field("licence_number", "Licence number", max_length=40,
          hint="Prescribers: printed on their prescriptions; they cannot sign one without it."),
))

ROLE_FORM = FormSpec((Field("role", "Role", kind="choice", required=True, choices=ROLES),))

STAFF_FILTERS = FormSpec((
    Field("q", "Search", kind="search", max_length=100),
    Field("role", "Role", kind="choice", blank="Any role", choices=ROLES),
    Field("status", "Status", kind="choice", choices=tuple(STATUSES.items())),
    Field("sort", "Sort", kind="choice", choices=tuple(SORT_LABELS.items())),
))
