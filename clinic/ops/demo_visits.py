"""Demo visits: signed notes for the week's completed appointments, drafts for the patients here now,
a note template and the clinic's favourite codes. Written as rows (encrypted like the app writes them)
inside the demo's one transaction; the ICD-10-CM sample is loaded by `clinic demo` afterwards."""

from __future__ import annotations

import datetime as dt
import random

from clinic.scheduling.tables import Appointment
from clinic.security import fields
from clinic.security.tables import Staff
from clinic.visits.notes import SOAP, parse_outline, sections_to_json
from clinic.visits.tables import (
    Addendum,
    FavouriteCode,
    NoteTemplate,
    Visit,
    VisitDiagnosis,
    VisitNoteSection,
    VisitService,
)

SEED = 20261130
MAX_SIGNED = 60
# reason -> (diagnosis code, its description, subjective, assessment, plan)
NOTES = {
    "Sore throat": ("J02.9", "Acute pharyngitis, unspecified", "Sore throat for three days, no cough.",
                    "Viral pharyngitis likely; rapid strep negative.", "Fluids, rest, paracetamol as needed."),
    "Cough": ("J06.9", "Acute upper respiratory infection, unspecified", "Dry cough for a week, no fever.",
              "Upper respiratory infection.", "Symptomatic care; return if short of breath."),
    "Blood pressure review": ("I10", "Essential (primary) hypertension", "Home readings around 135/85.",
                              "Hypertension, fair control.", "Continue current dose; recheck in 3 months."),
    "Diabetes review": ("E11.9", "Type 2 diabetes mellitus without complications", "No hypoglycaemia.",
                        "Type 2 diabetes, stable.", "HbA1c today; foot check done; review in 3 months."),
    "Annual physical": ("Z00.00", "Encounter for general adult medical examination without abnormal findings",
                        "No concerns.", "Healthy adult.", "Routine screening as per age."),
}
GENERIC = ("", "", "Presenting as booked.", "Assessed; see plan.", "Advice given; follow up as needed.")
TEMPLATE_OUTLINE = ("## Subjective\n? What the patient reports\n\n## Objective\n? Examination, vital signs\n\n"
                    "## Assessment\n\n## Plan\n? Treatment, tests, advice\n\n## Preventive care\n"
                    "? Screening and immunisations due\nImmunisations up to date: ")
FAVOURITES = ("I10", "E11.9", "J02.9", "J06.9", "Z00.00")


async def add_demo_visits(now: dt.datetime) -> int:
    rng = random.Random(SEED)
    roles = {row["id"]: row["role"] for row in await Staff.select(Staff.id, Staff.role)}
    first_doctor = next(staff_id for staff_id, role in roles.items() if role == "doctor")
    await NoteTemplate.insert(
        NoteTemplate(name="Annual physical", visit_type="Annual physical",
                     sections=sections_to_json(parse_outline(TEMPLATE_OUTLINE)), created_by=first_doctor,
                     created_at=now, updated_at=now),
        NoteTemplate(name="SOAP", visit_type="", sections=sections_to_json(list(SOAP)), created_by=first_doctor,
                     created_at=now, updated_at=now))
    await FavouriteCode.insert(*[FavouriteCode(code=code, added_by=first_doctor, added_at=now)
                                 for code in FAVOURITES])
    done = await Appointment.select().where(Appointment.status == "completed").order_by(
        Appointment.starts_at, ascending=False).limit(MAX_SIGNED)
    here = await Appointment.select().where(Appointment.status.is_in(["arrived", "in_progress"]))
    count = 0
    for appointment in [*done, *here]:
        signed = appointment["status"] == "completed"
        visit_id = await _visit(appointment, roles, signed=signed, rng=rng)
        if count == 0 and signed:  # the latest signed note was corrected afterwards
            await _addendum(visit_id, appointment)
        count += 1
    return count


async def _addendum(visit_id: int, appointment: dict) -> None:
    rows = await Addendum.insert(Addendum(visit=visit_id, author=appointment["provider"],
                                          written_at=appointment["ends_at"] + dt.timedelta(hours=2)))
    addendum_id = rows[0]["id"]
    await Addendum.update({Addendum.text: fields.cipher().seal(
        Addendum, "text", addendum_id, "Laboratory results received: within normal limits.")}).where(
        Addendum.id == addendum_id)
    await Visit.update({Visit.state: "amended"}).where(Visit.id == visit_id)


async def _visit(appointment: dict, roles: dict[int, str], *, signed: bool, rng: random.Random) -> int:
    code, description, subjective, assessment, plan = NOTES.get(appointment["reason"], GENERIC)
    provider = appointment["provider"]
    opened = appointment["starts_at"] + dt.timedelta(minutes=2)
    ended = appointment["ends_at"]
    rows = await Visit.insert(Visit(
        patient=appointment["patient"], provider=provider, appointment=appointment["id"],
        reason=appointment["reason"], state="signed" if signed else "draft", signed_by=provider if signed else None,
        signed_at=ended if signed else None, created_by=provider, created_at=opened,
        updated_at=ended if signed else opened, updated_by=provider,
        requires_cosign=False))
    visit_id = rows[0]["id"]
    if signed:
        follow_up = rng.choice(["Return if not better in a week.", "Review in 3 months.", "No follow-up needed."])
        await Visit.update({Visit.follow_up: fields.cipher().seal(Visit, "follow_up", visit_id, follow_up)}).where(
            Visit.id == visit_id)
    objective = rng.choice(["Afebrile, looks well.", "Chest clear, heart sounds normal.", "No distress."])
    texts = {"subjective": subjective, "objective": objective, "assessment": assessment if signed else "",
             "plan": plan if signed else ""}
    for position, spec in enumerate(SOAP):
        inserted = await VisitNoteSection.insert(VisitNoteSection(
            visit=visit_id, key=spec.key, title=spec.title, prompt=spec.prompt, position=position,
            updated_at=ended, updated_by=provider))
        section_id = inserted[0]["id"]
        await VisitNoteSection.update({VisitNoteSection.text: fields.cipher().seal(
            VisitNoteSection, "text", section_id, texts[spec.key])}).where(VisitNoteSection.id == section_id)
    if signed and code:
        await VisitDiagnosis.insert(VisitDiagnosis(visit=visit_id, code=code, description=description, position=0))
        await VisitService.insert(VisitService(visit=visit_id, code="99213",
                                               description="Office visit, established patient", quantity=1))
    return visit_id



