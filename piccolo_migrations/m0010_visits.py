"""Visits with notes in sections, addenda, diagnoses and services; note templates; the ICD-10-CM code set
(loaded by `clinic icd10 load`, not here: importing the code set costs seconds and ~150 MB)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table

ID = "2026-11-30T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "visits, notes, addenda, diagnoses, services, note templates, ICD-10-CM codes"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)


class Appointment(Table, tablename="appointment"):
    status = Varchar(length=20, default="booked")


class VitalSigns(Table, tablename="vital_signs"):
    status = Varchar(length=20, default="active")


class ClinicProfile(Table, tablename="clinic_profile"):
    cosign_nurse_notes = Boolean(default=False)


class Visit(Table, tablename="visit"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=True, default=None)
    template_name = Varchar(length=80, default="")
    reason = Varchar(length=200, default="")
    follow_up = Text(default="")
    state = Varchar(length=20, default="draft")
    vital_signs = ForeignKey(VitalSigns, on_delete=OnDelete.restrict, null=True, default=None)
    requires_cosign = Boolean(default=False)
    signed_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    cosigned_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    cosigned_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    version = Integer(default=1)


class VisitNoteSection(Table, tablename="visit_note_section"):
    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    key = Varchar(length=40)
    title = Varchar(length=80)
    prompt = Varchar(length=300, default="")
    text = Text(default="")
    position = Integer(default=0)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class Addendum(Table, tablename="visit_addendum"):
    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    author = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    written_at = Timestamptz(default=TimestamptzNow())
    text = Text(default="")


class VisitDiagnosis(Table, tablename="visit_diagnosis"):
    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    code = Varchar(length=10)
    description = Varchar(length=250)
    position = Integer(default=0)


class VisitService(Table, tablename="visit_service"):
    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    code = Varchar(length=20, default="")
    description = Varchar(length=200)
    quantity = Integer(default=1)


class NoteTemplate(Table, tablename="note_template"):
    name = Varchar(length=80, unique=True)
    visit_type = Varchar(length=80, default="")
    sections = Text(default="[]")
    active = Boolean(default=True)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Icd10Code(Table, tablename="icd10_code"):
    code = Varchar(length=10, unique=True)
    compact = Varchar(length=10)
    description = Varchar(length=250)
    billable = Boolean(default=False)


class Icd10Word(Table, tablename="icd10_word"):
    word = Varchar(length=40)
    code = Integer()
    compact = Varchar(length=10)


class Icd10Term(Table, tablename="icd10_term"):
    """How many codes each word describes: a search starts from its rarest word."""

    word = Varchar(length=40, unique=True)
    codes = Integer(default=0)


class FavouriteCode(Table, tablename="icd10_favourite"):
    code = Varchar(length=10, unique=True)
    added_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    added_at = Timestamptz(default=TimestamptzNow())


async def build():
    await add_column(ClinicProfile, ClinicProfile.cosign_nurse_notes)
    for table in (Visit, VisitNoteSection, Addendum, VisitDiagnosis, VisitService, NoteTemplate, Icd10Code,
                  Icd10Word, Icd10Term, FavouriteCode):
        await create_table(table)
    await create_index("visit", ["patient", "created_at"])
    await create_index("visit", ["appointment"])
    await create_index("visit_note_section", ["visit", "key"], unique=True)
    await create_index("visit_addendum", ["visit", "written_at"])
    await create_index("visit_diagnosis", ["visit", "position"])
    await create_index("visit_service", ["visit"])
    # Prefix search by code (E11 / E119) in code order, and by words, both as range scans on an index.
    await create_index("icd10_code", ["compact"])
    await create_index("icd10_code", ["billable", "compact"])
    await create_index("icd10_word", ["word", "compact"])
    await create_index("icd10_word", ["code", "word"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
