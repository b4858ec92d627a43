from piccolo.columns import BigInt, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.security import fields
from clinic.security.tables import Staff


class Patient(Table, tablename="patient"):
    """A patient. Archived, never deleted; merged duplicates point at the survivor.

    ``*_key`` columns are search keys kept by the service layer (lower-case
    ASCII) with ordinary indexes; ``national_id`` is encrypted (``enc1:...``)
    and found only through its keyed blind index.
    """

    mrn = Varchar(length=20, unique=True)
    first_name = Varchar(length=80)
    last_name = Varchar(length=80)
    date_of_birth = Date()
    sex = Varchar(length=20, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Registration details
    preferred_name = Varchar(length=80, default="")
    phone_alt = Varchar(length=32, default="")
    address_line1 = Varchar(length=120, default="")
    address_line2 = Varchar(length=120, default="")
    city = Varchar(length=80, default="")
    region = Varchar(length=80, default="")
    postal_code = Varchar(length=20, default="")
    preferred_language = Varchar(length=40, default="")
    emergency_contact_name = Varchar(length=120, default="")
    emergency_contact_relation = Varchar(length=40, default="")
    emergency_contact_phone = Varchar(length=32, default="")
    front_desk_notes = Text(default="")
    national_id = Text(default="")
    national_id_index = Varchar(length=64, default="")
    primary_provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    # Search keys
    last_name_key = Varchar(length=80, default="")
    first_name_key = Varchar(length=80, default="")
    preferred_name_key = Varchar(length=80, default="")
    phone_key = Varchar(length=20, default="")
    # Lifecycle
    last_visit_at = Timestamptz(null=True, default=None)
    archived_at = Timestamptz(null=True, default=None)
    merged_into = Integer(null=True, default=None)
    version = Integer(default=1)
    created_by = Integer(null=True, default=None)
    updated_by = Integer(null=True, default=None)


class PatientInsurance(Table, tablename="patient_insurance"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    priority = Varchar(length=20, default="primary")
    payer_name = Varchar(length=120)
    plan_name = Varchar(length=120, default="")
    member_number = Text(default="")
    member_number_index = Varchar(length=64, default="")
    group_number = Varchar(length=40, default="")
    subscriber_relation = Varchar(length=20, default="self")
    # When the subscriber is someone else (a spouse, a parent): who, as the payer knows them.
    subscriber_last_name = Varchar(length=60, default="")
    subscriber_first_name = Varchar(length=35, default="")
    # What the patient pays under this policy (billing's insurance split): minor units, and a whole percent.
    copay = BigInt(default=0)
    coinsurance_percent = Integer(default=0)
    deductible = BigInt(default=0)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


# Sensitive identifiers: encrypted at rest, found through keyed blind indexes.
fields.register(Patient, "national_id", index="national_id_index")
fields.register(PatientInsurance, "member_number", index="member_number_index")
