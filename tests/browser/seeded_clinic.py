"""The small clinic the browser gates walk: one member of staff per role, colleagues, patients with charts.

Seeded into empty tables in the same order every time, so on a fresh SQLite
database (ids restart at 1 once a table is empty) every id, and so every URL
the crawl found, is the same after each re-seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyotp

from clinic.audit.services import Actor
from tests.conftest import empty_tables
from tests.factories import locale, make_patient, make_staff, open_session

ROLES = ("admin", "doctor", "nurse", "receptionist", "billing")
# The walkers sort after their colleagues in the staff list ("Name A-Z"), so
# the staff pages the crawl opens first are someone else's.
WALKER_NAMES = {role: f"Walk {role.capitalize()}" for role in ROLES}
# Registering the walk's valid patient (tests/browser/form_values.py) matches
# Hannah Walker by name and birth date: the form shows the possible-duplicate
# warning first, as it would at the front desk.
PATIENTS = {
    "abbott": {"first_name": "Grace", "last_name": "Abbott", "date_of_birth": "1961-02-14", "sex": "female",
               "phone": "(415) 555-0142", "email": "grace.abbott@example.org", "national_id": "219-09-9998",
               "address_line1": "48 Mission Street", "city": "San Francisco", "region": "CA",
               "postal_code": "94105", "emergency_contact_name": "Ruth Abbott",
               "emergency_contact_relation": "Daughter", "emergency_contact_phone": "(415) 555-0143",
               "front_desk_notes": "Prefers morning appointments."},
    "baker": {"first_name": "Tom", "last_name": "Baker", "date_of_birth": "1990-09-30", "sex": "male",
              "phone": "(415) 555-0150"},
    "walker": {"first_name": "Hannah", "last_name": "Walker", "date_of_birth": "1984-07-09", "sex": "female",
               "phone": "(415) 555-0160"},
}
CHART = [
    ("allergies", {"substance": "Penicillin", "reaction": "Hives", "severity": "severe"}),
    ("medications", {"name": "Lisinopril", "dose": "10 mg", "frequency": "once daily", "route": "by mouth"}),
    ("problems", {"description": "Essential hypertension", "icd10_code": "I10", "onset": "2015-03-01"}),
    ("history", {"kind": "family", "description": "Mother: type 2 diabetes"}),
    ("immunizations", {"vaccine": "Influenza", "given_on": "2024-10-01", "site": "left deltoid"}),
]


@dataclass
class SeededClinic:
    walkers: dict[str, dict]  # role -> the member of staff who walks the app in that role
    colleagues: dict[str, dict]  # "ada" (sign-in paused after failed attempts), "ben"
    patients: dict[str, int]  # "abbott" (a full chart), "baker", "walker"
    mrns: dict[int, str]

    def ids(self) -> dict:
        return {"walkers": {role: staff["id"] for role, staff in self.walkers.items()},
                "colleagues": {name: staff["id"] for name, staff in self.colleagues.items()},
                "patients": dict(self.patients)}


async def reseed(app) -> SeededClinic:
    await empty_tables(app.state.engine)
    return await seed(app.state.settings)


async def seed(settings) -> SeededClinic:
    from clinic.audit import break_glass
    from clinic.clinical.sections import SECTIONS
    from clinic.clinical.services import add_entry
    from clinic.clinical.vitals import add_vitals
    from clinic.patients.services import add_insurance
    from clinic.patients.tables import Patient
    from clinic.reminders.services import generate_reminders
    from clinic.scheduling.tables import Appointment
    from clinic.security import throttle

    colleagues = {
        "ada": await make_staff("nurse", name="Ada Lovelace", email="ada.lovelace@riverside-clinic.org"),
        "ben": await make_staff("doctor", name="Ben Okafor", email="ben.okafor@riverside-clinic.org"),
    }
    walkers = {}
    for role in ROLES:
        secret = pyotp.random_base32() if role == "admin" else None  # administrators always have MFA
        walkers[role] = await make_staff(role, name=WALKER_NAMES[role], email=f"walk.{role}@riverside-clinic.org",
                                         totp_secret=secret, keyring=settings.keyring)
    # Paused for everyone (the ceiling), so the staff screens show it and offer to unlock.
    await throttle.note_failure(throttle.account_key(colleagues["ada"]["email"]), 1, fixed_pause=throttle.CEILING_PAUSE)

    doctor = Actor(staff_id=walkers["doctor"]["id"], role="doctor")
    patients = {key: await make_patient(walkers["receptionist"]["id"], **values) for key, values in PATIENTS.items()}
    abbott = patients["abbott"]
    for key, values in CHART:
        await add_entry(SECTIONS[key], abbott, values, doctor, locale().reading, accept_duplicate=True)
    await add_vitals(abbott, {"systolic": "128", "diastolic": "82", "pulse": "70", "weight": "160", "height": "66"},
                     doctor, units=settings.units)
    await add_insurance(abbott, {"payer_name": "Aetna", "plan_name": "Open Access", "member_number": "W123456789",
                                 "priority": "primary", "subscriber_relation": "self"},
                        Actor(staff_id=walkers["receptionist"]["id"], role="receptionist"))
    starts = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=30)
    await Appointment.insert(Appointment(patient=abbott, provider=walkers["doctor"]["id"], starts_at=starts,
                                         ends_at=starts + dt.timedelta(minutes=15), reason="Blood pressure review"))
    await seed_book(walkers, colleagues, patients)
    await seed_series_and_waitlist(walkers, patients)
    # Tomorrow's: the reminder outbox has its email and text message waiting (no delivery set up).
    tomorrow = starts + dt.timedelta(hours=26)
    await Appointment.insert(Appointment(patient=abbott, provider=walkers["doctor"]["id"], starts_at=tomorrow,
                                         ends_at=tomorrow + dt.timedelta(minutes=15), reason="Follow-up"))
    await generate_reminders()
    # The patient is here for this one: a visit may open from it.
    arrived = starts - dt.timedelta(minutes=45)
    await Appointment.insert(Appointment(patient=abbott, provider=walkers["doctor"]["id"], starts_at=arrived,
                                         ends_at=arrived + dt.timedelta(minutes=15), status="arrived",
                                         reason="Sore throat"))
    await seed_visits(abbott, walkers)
    await seed_prescriptions_and_documents(settings, abbott, walkers)
    await seed_billing(abbott, walkers)
    await seed_claims(walkers)
    await break_glass.grant(walkers["billing"]["id"], patients["baker"], "clinical.read",
                            "Checking a claim the insurer queried", settings.break_glass_minutes,
                            Actor(staff_id=walkers["billing"]["id"], role="billing"))
    from clinic.exports.services import start_export

    await start_export(Actor(staff_id=walkers["admin"]["id"], role="admin"))  # the export screens have one to show
    rows = await Patient.select(Patient.id, Patient.mrn)
    return SeededClinic(walkers=walkers, colleagues=colleagues, patients=patients,
                        mrns={row["id"]: row["mrn"] for row in rows})


async def seed_book(walkers: dict, colleagues: dict, patients: dict) -> None:
    """The book's set-up (types, a room, working hours, time off) and a few appointments today, so
    the walk reaches every book screen: the day, a week, a day sheet, an appointment and its forms."""
    from clinic.scheduling.tables import Appointment, AppointmentType, Room, TimeOff, WorkingHours

    checkup = (await AppointmentType.insert(AppointmentType(name="Check-up", minutes=20, colour="indigo")))[0]["id"]
    await AppointmentType.insert(AppointmentType(name="Injection", minutes=10, colour="green", may_overlap=True))
    room = (await Room.insert(Room(name="Room 1")))[0]["id"]
    for provider in (walkers["doctor"], colleagues["ben"]):
        for weekday in range(5):
            await WorkingHours.insert(WorkingHours(provider=provider["id"], weekday=weekday, starts=9 * 60, ends=12 * 60),
                                      WorkingHours(provider=provider["id"], weekday=weekday, starts=13 * 60, ends=17 * 60))
    zone = locale().zone
    today = dt.datetime.now(zone).date()
    for hour, patient, provider in ((9, "baker", walkers["doctor"]), (11, "walker", colleagues["ben"])):
        starts = dt.datetime.combine(today, dt.time(hour), tzinfo=zone).astimezone(dt.timezone.utc)
        await Appointment.insert(Appointment(
            patient=patients[patient], provider=provider["id"], starts_at=starts, ends_at=starts + dt.timedelta(minutes=20),
            type=checkup, room=room, notes="Seeded for the walk", created_by=walkers["receptionist"]["id"]))
    away = dt.datetime.combine(today + dt.timedelta(days=14), dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)
    await TimeOff.insert(TimeOff(provider=colleagues["ben"]["id"], starts_at=away, ends_at=away + dt.timedelta(days=2),
                                 reason="Conference"))


async def seed_series_and_waitlist(walkers: dict, patients: dict) -> None:
    """A weekly series with an occurrence later today (the appointment page's "this one / following / all"
    forms) and a patient on the waitlist (its list and remove button)."""
    from clinic.scheduling.tables import Appointment, AppointmentSeries, AppointmentType, WaitlistEntry

    checkup = (await AppointmentType.select(AppointmentType.id).where(AppointmentType.name == "Check-up").first())["id"]
    zone = locale().zone
    today = dt.datetime.now(zone).date()
    series = (await AppointmentSeries.insert(AppointmentSeries(
        rule="FREQ=WEEKLY;COUNT=3", local_date=today, local_minutes=16 * 60, zone=zone.key, minutes=20,
        patient=patients["walker"], provider=walkers["doctor"]["id"], type=checkup)))[0]["id"]
    for week in range(3):
        starts = dt.datetime.combine(today + dt.timedelta(weeks=week), dt.time(16), tzinfo=zone).astimezone(
            dt.timezone.utc)
        await Appointment.insert(Appointment(
            patient=patients["walker"], provider=walkers["doctor"]["id"], starts_at=starts, series=series,
            ends_at=starts + dt.timedelta(minutes=20), type=checkup, created_by=walkers["receptionist"]["id"]))
    await WaitlistEntry.insert(WaitlistEntry(
        patient=patients["baker"], providers=str(walkers["doctor"]["id"]), type=checkup, weekdays="0,2",
        earliest_minutes=9 * 60, latest_minutes=12 * 60, until_date=today + dt.timedelta(days=60),
        notes="Mornings only", created_by=walkers["receptionist"]["id"]))
async def seed_visits(patient_id: int, walkers: dict) -> None:
    """A note template, favourite codes, a draft visit and a signed one with an addendum, so the
    walks reach the visit screens in both states and the templates screen."""
    from clinic.visits import icd10, note_templates, services
    from tests.visits.visit_factories import load_sample_codes

    doctor = Actor(staff_id=walkers["doctor"]["id"], role="doctor")
    await load_sample_codes()
    await icd10.add_favourite("I10", doctor)
    template_id = await note_templates.create_template({
        "name": "Blood pressure review", "visit_type": "Follow-up",
        "outline": "## Readings\n? Home readings since the last visit\n\n## Plan\nContinue current treatment."},
        doctor)
    signed = await services.open_visit(patient_id, doctor, template_id=template_id, reason="Blood pressure review")
    await services.save_section(patient_id, signed, "readings", "Home readings around 130/85.", 1, doctor)
    await services.add_diagnosis(patient_id, signed, "I10", doctor)
    await services.sign(patient_id, signed, doctor)
    await services.add_addendum(patient_id, signed, "Lab results normal.", doctor)
    draft = await services.open_visit(patient_id, doctor, reason="Sore throat")
    await services.save_section(patient_id, draft, "subjective", "Sore throat for two days.", 1, doctor)
async def seed_prescriptions_and_documents(settings, patient_id: int, walkers: dict) -> None:
    """A signed prescription and a draft (newest, so the walk opens the draft's sign form), and a scanned image."""
    import io

    from PIL import Image

    from clinic.documents.services import Upload, attach
    from clinic.prescriptions.services import save_draft, sign
    from clinic.security.tables import Staff

    await Staff.update({Staff.licence_number: "MD-48213"}).where(Staff.id == walkers["doctor"]["id"])
    doctor = Actor(staff_id=walkers["doctor"]["id"], role="doctor")
    nurse = Actor(staff_id=walkers["nurse"]["id"], role="nurse")
    signed = await save_draft(patient_id, {
        "drug_name": "Atorvastatin", "strength": "20 mg", "form": "tablet", "dose_amount": "1", "dose_unit": "tablet",
        "route": "by mouth", "frequency": "once daily", "duration": "90 days", "quantity": "90 tablets",
        "refills": "3", "instructions": "Take in the evening."}, doctor)
    await sign(patient_id, signed, doctor, override_reason="", today=locale().today())
    await save_draft(patient_id, {
        "drug_name": "Ibuprofen", "strength": "400 mg", "form": "tablet", "dose_amount": "1", "dose_unit": "tablet",
        "route": "by mouth", "frequency": "every 8 hours as needed", "duration": "5 days", "quantity": "15 tablets",
        "refills": "0", "instructions": "Take with food.", "internal_note": "Knee pain after a fall."}, nurse)
    scan = io.BytesIO()
    Image.new("RGB", (320, 240), (240, 240, 235)).save(scan, "PNG")
    await attach(patient_id, {"title": "Cardiology referral", "category": "referral"},
                 Upload("referral.png", scan.getvalue()), nurse, folder=settings.documents_dir,
                 max_bytes=settings.document_max_bytes)


async def seed_billing(patient_id: int, walkers: dict) -> None:
    """A fee schedule, policy terms, an invoice from the signed visit (issued, part paid by card:
    receipt, ledger, statement and superbill have something to show) and a draft made by hand."""
    from clinic.billing import invoices, payments
    from clinic.billing.fees import add_fee
    from clinic.patients.services import insurance_of, set_policy_terms
    from clinic.visits.tables import Visit, VisitService

    biller = Actor(staff_id=walkers["billing"]["id"], role="billing")
    await add_fee("99213", "Office visit, established patient", 12500, biller)
    await add_fee("36415", "Venipuncture", 1500, biller)
    policy = (await insurance_of(patient_id))[0]
    await set_policy_terms(patient_id, policy["id"], copay=2500, coinsurance_percent=20, deductible=0, actor=biller)
    signed = await Visit.select(Visit.id).where((Visit.patient == patient_id) & (Visit.state != "draft")).first()
    await VisitService.insert(VisitService(visit=signed["id"], code="99213", description="Office visit", quantity=1))
    issued = await invoices.invoice_from_visit(signed["id"], biller)
    await invoices.issue_invoice(issued, biller)
    await payments.record_payment(patient_id, 2500, "card", biller, invoice_id=issued, reference="Slip 1041")
    await invoices.create_invoice(patient_id, biller, lines=[
        invoices.LineInput(code="36415", description="Venipuncture", unit_price=1500)])


async def seed_claims(walkers: dict) -> None:
    """Claim settings, a payer, a claim from the issued invoice exported in a batch, and a remittance
    that paid it with one exception, so the walks reach the queue, a claim, payers and downloads."""
    from clinic.billing import invoices
    from clinic.billing.tables import Invoice
    from clinic.claims import export, remittance, services
    from clinic.claims.payers import save_claim_settings
    from tests.claims.claim_factories import SETTINGS, add_payer
    from tests.claims.test_remittance_import import an_835, clp

    biller = Actor(staff_id=walkers["billing"]["id"], role="billing")
    await save_claim_settings(SETTINGS, 0, biller)
    await add_payer("Aetna")
    invoice = await Invoice.select(Invoice.id).where(Invoice.state != "draft").first()
    claim_id = await services.create_claim(invoice["id"], biller)
    await services.change_state(claim_id, "ready", biller)
    await export.export_batch(biller)
    claim = await services.get_claim(claim_id)
    policy = await Invoice.select(Invoice.policy, Invoice.patient).where(Invoice.id == invoice["id"]).first()
    # Two more insured invoices: one with a draft claim (the claim page and its state form), one with
    # no claim yet (the queue's "New claim" has one to offer).
    for price, with_claim in ((4000, True), (3000, False)):
        more = await invoices.create_invoice(policy["patient"], biller, policy_id=policy["policy"], lines=[
            invoices.LineInput(code="36415", description="Venipuncture", unit_price=price)],
            diagnoses=[{"code": "I10", "description": "Essential hypertension"}])
        await invoices.issue_invoice(more, biller)
        if with_claim:
            await services.create_claim(more, biller)
    await remittance.import_835(an_835("SEED1", clp(claim["number"], "1", "125", "60", "45",
                                                    "SVC*HC:99213*125*60**1~", "CAS*PR*3*25*1*2*20~",
                                                    "CAS*CO*45*20~"),
                                       clp(424242, "1", "10", "10", "0", "SVC*HC:99999*10*10**1~")), biller)
    await seed_secondary_and_eligibility(policy["patient"], biller)


async def seed_secondary_and_eligibility(patient_id: int, biller: Actor) -> None:
    """A secondary policy with its payer (the paid claim's page offers the secondary claim), a payer
    price on the fee schedule, and an old eligibility check (its history shows; Today flags it)."""
    import datetime as dt

    from clinic.billing.tables import FeeScheduleItem
    from clinic.claims import fee_prices, payers
    from clinic.patients.services import add_insurance
    from tests.claims.claim_factories import add_payer

    second = await add_payer("Second Mutual", "SEC01")
    await add_insurance(patient_id, {"payer_name": "Second Mutual", "member_number": "S5550001",
                                     "priority": "secondary", "subscriber_relation": "spouse",
                                     "subscriber_last_name": "Abbott", "subscriber_first_name": "Jordan"}, biller)
    fee = await FeeScheduleItem.select(FeeScheduleItem.id).first()
    if fee:
        await fee_prices.set_payer_price(fee["id"], second, 9000, biller)
    policy = (await payers.eligibility_of(patient_id, dt.date.today()))[0]
    await payers.record_eligibility(policy["id"], dt.date.today() - dt.timedelta(days=90), "active", "CALL-1182",
                                    "Checked by phone", biller)


async def session_token(app, staff_id: int) -> str:
    """Signed in, second step done, identity just confirmed: what a walker has after signing in."""
    return await open_session(staff_id, app.state.session_policy)
