"""The appointment book's set-up forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec
from clinic.staff.forms import COLOURS

WEEKDAYS = ((0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday"))
# Blocks of working time a provider's day may have on the form (e.g. 8–12, 13–17, 18–20).
BLOCKS_PER_DAY = 3
COLOUR_CHOICES = tuple((colour, colour.capitalize()) for colour in COLOURS)

TYPE_FORM = FormSpec((
    Field("name", "Name", required=True, max_length=80, hint="e.g. Check-up, New patient, Injection"),
    Field("minutes", "Usual length (minutes)", kind="integer", required=True, minimum=5, maximum=480, max_length=3,
          hint="The booking form starts from this; it can be changed per appointment."),
    Field("colour", "Colour on the book", kind="choice", blank="The provider's colour", choices=COLOUR_CHOICES),
    Field("needs_room", "Needs a room", kind="checkbox"),
    Field("may_overlap", "May overlap the provider's other appointments (e.g. a 5-minute injection)",
          kind="checkbox", wide=True),
    Field("active", "Offered for new bookings", kind="checkbox"),
))

ROOM_FORM = FormSpec((
    Field("name", "Room name", required=True, max_length=60, hint="e.g. Room 1, Treatment room"),
))

COLOUR_FORM = FormSpec((
    Field("colour", "Colour on the book", kind="choice", required=True, choices=COLOUR_CHOICES),
))

TIME_OFF_FORM = FormSpec((
    Field("first_day", "From (day)", kind="date", required=True),
    Field("from_time", "From (time)", kind="time", hint="Empty: from the start of the day."),
    Field("last_day", "Until (day)", kind="date", required=True),
    Field("until_time", "Until (time)", kind="time", hint="Empty: to the end of the day."),
    Field("reason", "Reason", max_length=120, hint="e.g. Holiday, Conference. Shown to the front desk."),
))
