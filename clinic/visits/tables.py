"""Visits and their notes, note templates, and the ICD-10-CM code set.

Note text (each section, each addendum, the follow-up) is encrypted at rest
like the chart's other clinical notes (clinic/security/fields.py), bound to
its row id. The ICD-10-CM tables are reference data loaded by
``python -m clinic icd10 load`` in a process of its own.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.clinical.tables import VitalSigns
from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient
from clinic.scheduling.tables import Appointment
from clinic.security import fields
from clinic.security.tables import Staff


class Visit(Table, tablename="visit"):
    """One encounter: a draft until its author signs it, then read-only (addenda only)."""

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=True, default=None)
    template_name = Varchar(length=80, default="")
    reason = Varchar(length=200, default="")
    follow_up = Text(default="")  # encrypted
    state = Varchar(length=20, default="draft")  # draft | signed | amended
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
    """A part of the note (subjective, objective...); each autosaves on its own with its own version."""

    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    key = Varchar(length=40)
    title = Varchar(length=80)
    prompt = Varchar(length=300, default="")
    text = Text(default="")  # encrypted
    position = Integer(default=0)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class Addendum(Table, tablename="visit_addendum"):
    """A correction or addition to a signed note, with its own author and time."""

    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    author = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    written_at = Timestamptz(default=TimestamptzNow())
    text = Text(default="")  # encrypted


class VisitDiagnosis(Table, tablename="visit_diagnosis"):
    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    code = Varchar(length=10)  # with its dot: E11.9
    description = Varchar(length=250)
    position = Integer(default=0)


class VisitService(Table, tablename="visit_service"):
    """A procedure or service performed (billing turns these into invoice lines)."""

    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=False)
    code = Varchar(length=20, default="")
    description = Varchar(length=200)
    quantity = Integer(default=1)


class NoteTemplate(Table, tablename="note_template"):
    """Sections (JSON: [{key, title, prompt, text}]) a visit's note starts from."""

    name = Varchar(length=80, unique=True)
    visit_type = Varchar(length=80, default="")  # an appointment type's name, or free text
    sections = Text(default="[]")
    active = Boolean(default=True)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Icd10Code(Table, tablename="icd10_code"):
    code = Varchar(length=10, unique=True)  # E11.9
    compact = Varchar(length=10)  # E119: prefix search, indexed
    description = Varchar(length=250)
    billable = Boolean(default=False)


class Icd10Word(Table, tablename="icd10_word"):
    """One row per distinct word of a code's description: "words of the description" search
    is an indexed look-up on (word, code) on both backends, no full-text engine needed."""

    word = Varchar(length=40)
    code = Integer()  # icd10_code.id
    compact = Varchar(length=10)  # the code's compact form, so matches come out in code order


class Icd10Term(Table, tablename="icd10_term"):
    """How many codes each word describes: a search starts from its rarest word."""

    word = Varchar(length=40, unique=True)
    codes = Integer(default=0)


class FavouriteCode(Table, tablename="icd10_favourite"):
    """Codes this clinic uses often: offered first."""

    code = Varchar(length=10, unique=True)
    added_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    added_at = Timestamptz(default=TimestamptzNow())


fields.register(Visit, "follow_up")
fields.register(VisitNoteSection, "text")
fields.register(Addendum, "text")
register_merge_step("visits", move_rows(Visit))
