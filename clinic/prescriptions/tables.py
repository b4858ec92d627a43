"""Prescriptions, the safety warnings a prescriber overrode, and the number counter.

A prescription is a draft until a prescriber signs it; signing gives it the
next number (``PrescriptionCounter``, locked while it is taken) and adds the
drug to the chart's medications. It is never deleted: a draft may be
discarded, a signed one discontinued, each with who and when.

``visit_id`` names the visit it was written in, when there is one; it is a
plain column (no foreign key) so prescriptions do not depend on the visits
package being installed first.
"""

from piccolo.columns import ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient
from clinic.security import fields


class Prescription(Table, tablename="prescription"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    visit_id = Integer(null=True, default=None)
    # Given at signing; unique, so two prescriptions can never share one.
    number = Integer(null=True, default=None, unique=True)
    # draft, active (signed), discontinued, discarded (a draft never signed)
    status = Varchar(length=20, default="draft")
    drug_name = Varchar(length=160)
    # The shipped list's key for the drug; empty when it was typed as free text.
    drug_key = Varchar(length=80, default="")
    drug_class = Varchar(length=40, default="")
    strength = Varchar(length=60, default="")
    form = Varchar(length=40, default="")
    dose_amount = Numeric(digits=(9, 3), null=True, default=None)
    dose_unit = Varchar(length=20, default="")
    route = Varchar(length=40, default="")
    frequency = Varchar(length=80, default="")
    duration = Varchar(length=40, default="")
    quantity = Varchar(length=40, default="")
    refills = Integer(default=0)
    instructions = Text(default="")
    # For colleagues, never printed; encrypted like the chart's notes.
    internal_note = Text(default="")
    prepared_at = Timestamptz(default=TimestamptzNow())
    prepared_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    signed_by = Integer(null=True, default=None)
    # As printed: the prescriber's name and licence number when it was signed.
    prescriber_name = Varchar(length=120, default="")
    prescriber_licence = Varchar(length=40, default="")
    medication_id = Integer(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)
    stopped_by = Integer(null=True, default=None)
    stop_reason = Varchar(length=300, default="")
    renewed_from = Integer(null=True, default=None)
    version = Integer(default=1)


class PrescriptionOverride(Table, tablename="prescription_override"):
    """A safety warning the prescriber saw and signed past, with their reason."""

    prescription = ForeignKey(Prescription, on_delete=OnDelete.restrict, null=False)
    safety_check = Varchar(length=20)  # allergy, duplicate, dose
    warning = Varchar(length=300)
    reason = Varchar(length=500)
    overridden_at = Timestamptz(default=TimestamptzNow())
    overridden_by = Integer(null=True, default=None)


class PrescriptionCounter(Table, tablename="prescription_counter"):
    """One row: the last prescription number given (locked while the next is taken)."""

    singleton = Integer(default=1, unique=True)
    last_number = Integer(default=0)


fields.register(Prescription, "internal_note")
register_merge_step("prescription", move_rows(Prescription))
