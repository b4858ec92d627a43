from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.security.tables import Staff


class AuditEvent(Table, tablename="audit_event"):
    """One action. Ids only, never PHI values. Append-only (database triggers).

    ``mac`` is HMAC-SHA-256 over this entry's fields and ``prev_mac``, keyed
    with CLINIC_AUDIT_KEY (never stored in the database): editing, deleting or
    inserting a row breaks the chain, and ``clinic audit verify`` finds where.
    """

    occurred_at = Timestamptz(default=TimestamptzNow())
    staff_id = Integer(null=True, default=None)  # no foreign key: the log outlives everything
    role = Varchar(length=20, default="")
    action = Varchar(length=60)
    entity_type = Varchar(length=40, default="")
    entity_id = Varchar(length=40, default="")
    patient_id = Integer(null=True, default=None)
    client_address = Varchar(length=64, default="")
    user_agent = Varchar(length=200, default="")
    outcome = Varchar(length=20, default="success")
    detail = Varchar(length=200, default="")
    # Every patient a read showed (a list, search results), ids in order: part of the MAC.
    patients = Text(default="")
    prev_mac = Varchar(length=64)
    mac = Varchar(length=64)


class AuditEventPatient(Table, tablename="audit_event_patient"):
    """Index of ``audit_event.patients``: who saw this patient, in one query. Append-only."""

    event_id = Integer()
    patient_id = Integer()


class AuditChainHead(Table, tablename="audit_chain_head"):
    """One row: the newest entry's MAC. Writers lock it, so the chain never forks."""

    last_event_id = Integer(default=0)
    last_mac = Varchar(length=64, default="")


class BreakGlassGrant(Table, tablename="break_glass_grant"):
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    patient_id = Integer()
    permission = Varchar(length=40)
    reason = Varchar(length=500)
    granted_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
