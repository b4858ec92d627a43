"""Billing, more: who the subscriber of a policy is when it is not the patient (for the 837P's
subscriber and patient loops), prices per payer on the fee schedule, and a claim's flag for
the biller (a submitted claim whose appointment was cancelled afterwards), and the link from a
secondary claim to the primary payer's claim whose adjudication it carries."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import BigInt, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table

ID = "2026-11-30T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing more: policy subscriber, per-payer fee prices, claim attention flag, secondary claims"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class PatientInsurance(Table, tablename="patient_insurance"):
    subscriber_last_name = Varchar(length=60, default="")
    subscriber_first_name = Varchar(length=35, default="")


class FeeScheduleItem(Table, tablename="fee_schedule_item"):
    code = Varchar(length=20, unique=True)


class Payer(Table, tablename="payer"):
    name = Varchar(length=120, unique=True)


class Claim(Table, tablename="claim"):
    attention = Varchar(length=200, default="")
    primary_claim = Integer(null=True, default=None)


class FeePayerPrice(Table, tablename="fee_payer_price"):
    fee = ForeignKey(FeeScheduleItem, on_delete=OnDelete.restrict, null=False)
    payer = ForeignKey(Payer, on_delete=OnDelete.restrict, null=False)
    price = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    version = Integer(default=1)


async def build():
    for column in (PatientInsurance.subscriber_last_name, PatientInsurance.subscriber_first_name):
        await add_column(PatientInsurance, column)
    await add_column(Claim, Claim.attention)
    await add_column(Claim, Claim.primary_claim)
    await create_table(FeePayerPrice)
    await create_index("fee_payer_price", ["fee", "payer"], unique=True)
    await create_index("fee_payer_price", ["payer"])
    await create_index("claim", ["attention"])
    # The work queue reads each state's claims in number order (clinic/claims/services.py work_queue).
    await create_index("claim", ["state", "number"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
