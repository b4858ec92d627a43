"""The clinic settings screen's forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

import zoneinfo

from babel.numbers import list_currencies

from clinic.core.forms import Field, FormSpec

WEEKDAYS = ((0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday"))
# Zone names people pick from: Area/City, not the legacy aliases (US/Eastern, EST5EDT).
ZONES = tuple((name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
              if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posixrules")))
CURRENCIES = tuple((code, code) for code in sorted(list_currencies()) if len(code) == 3 and code.isalpha())

PROFILE_FORM = FormSpec((
    Field("name", "Clinic name", required=True, max_length=120, hint="Shown in the header and on printouts."),
    Field("address_line1", "Address", max_length=120),
    Field("address_line2", "Address line 2", max_length=120),
    Field("city", "City", max_length=80),
    Field("region", "State / region", max_length=80),
    Field("postal_code", "Postal code", max_length=20),
    Field("phone", "Phone", kind="tel", max_length=32),
    Field("email", "Email", kind="email", max_length=254),
    Field("timezone", "Time zone", kind="choice", required=True, choices=ZONES,
          hint="Appointments and every time shown follow it."),
    Field("currency", "Currency", kind="choice", required=True, choices=CURRENCIES),
    Field("appointment_minutes", "Usual appointment length (minutes)", kind="integer", required=True, minimum=5,
          maximum=240, max_length=3),
    Field("cosign_nurse_notes", "A nurse's visit note needs a doctor's co-signature", kind="checkbox",
          hint="The nurse signs the note; it stays open for co-signature until a doctor signs it too."),
))

CLOSURE_FORM = FormSpec((
    Field("first_day", "First day closed", kind="date", required=True),
    Field("last_day", "Last day closed", kind="date", required=True),
    Field("reason", "Reason", required=True, max_length=120, hint="e.g. Public holiday, staff training"),
))
