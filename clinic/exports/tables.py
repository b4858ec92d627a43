from piccolo.columns import BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.security.tables import Staff

QUEUED, RUNNING, READY, FAILED, EXPIRED = "queued", "running", "ready", "failed", "expired"


class ClinicExport(Table, tablename="clinic_export"):
    """One export of the whole clinic. ``manifest`` is JSON of file names, row counts and
    SHA-256 digests (no values); the file lives in the data folder, readable by the app's user only,
    and is deleted once its link expires."""

    requested_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    job_id = Integer(null=True, default=None)
    state = Varchar(length=12, default=QUEUED)
    file_name = Varchar(length=120, default="")
    size = BigInt(default=0)
    manifest = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    downloaded_at = Timestamptz(null=True, default=None)
