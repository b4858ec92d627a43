from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient
from clinic.security.tables import Staff


class Appointment(Table, tablename="appointment"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    status = Varchar(length=20, default="booked")
    reason = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


# A merged duplicate's appointments move to the surviving record.
register_merge_step("appointments", move_rows(Appointment))
