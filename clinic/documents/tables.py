"""Documents attached to a patient (and, optionally, a visit).

The file itself lives on the data volume under a random name (see
storage.py), encrypted with a key of its own; that key is kept here sealed
with the field-encryption key ring (``file_key``), so it carries the ring's
key id and ``clinic rotate-keys`` re-seals it under the newest key.
``visit_id`` is a plain column (no foreign key): documents do not depend on
the visits package.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient
from clinic.security import fields


class Document(Table, tablename="patient_document"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    visit_id = Integer(null=True, default=None)
    title = Varchar(length=200)
    category = Varchar(length=30, default="other")
    original_name = Varchar(length=200, default="")
    media_type = Varchar(length=60)
    extension = Varchar(length=10)
    size_bytes = Integer(default=0)
    storage_name = Varchar(length=80, unique=True)
    file_key = Text(default="")
    has_thumbnail = Boolean(default=False)
    # active, entered_in_error (never deleted)
    status = Varchar(length=20, default="active")
    uploaded_at = Timestamptz(default=TimestamptzNow())
    uploaded_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


fields.register(Document, "file_key")
register_merge_step("document", move_rows(Document))
