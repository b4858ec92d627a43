"""The demo clinic's medical histories: plausible, deterministic, never real.

Built from one random generator passed in, so the same seed gives the same
charts. Everything is drawn from the rules in demo_rules for the patient's age
and sex at the time: a condition begins at an age it begins at, a vaccine is
given when the schedule gives it, and each entry is recorded on or after the
day it happened. Free-text notes go through the same encryption as real data.
"""

from __future__ import annotations

import datetime as dt
import random

from clinic.clinical.tables import (
    Allergy,
    AllergyReview,
    HistoryItem,
    Immunization,
    Medication,
    Problem,
    VitalSigns,
)
from clinic.ops.demo_growth import new_body, vital_signs
from clinic.ops.demo_people import DemoPatient
from clinic.ops.demo_rules import (
    ALLERGIES,
    CHILDHOOD_SCHEDULE,
    PREGNANCY,
    Condition,
    age_in_months,
    age_in_years,
    conditions_possible,
    history_possible,
    injection_site,
    vaccine_fits,
)
from clinic.security import fields

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
PREGNANT_SHARE = 0.06  # of women of 18 to 44: about one in sixteen is pregnant at any time


def years_after(born: dt.date, years: int) -> dt.date:
    return months_after(born, 12 * years)


def months_after(born: dt.date, months: int) -> dt.date:
    """The day a child is ``months`` old (the 1st of the next month when that month is shorter)."""
    year, month = divmod(born.month - 1 + months, 12)
    try:
        return born.replace(year=born.year + year, month=month + 1)
    except ValueError:
        return dt.date(born.year + year + (month == 11), (month + 1) % 12 + 1, 1)


class _Chart:
    """One patient's entries as they are drawn, with the clinic's staff to sign them."""

    def __init__(self, rng: random.Random, person: DemoPatient, staff: dict[str, list], today: dt.date):
        self.rng, self.person, self.today = rng, person, today
        self.born, self.sex = person.born, person.sex
        self.age = age_in_years(person.born, today)
        self.doctor = rng.choice(staff["doctor"])
        self.nurse = rng.choice(staff["nurse"])
        # Allergies and history are taken at the first visit (or at registration).
        self.first_day = person.visits[0] if person.visits else person.registered
        self.rows: dict[type, list] = {table: [] for table in (Allergy, Problem, Medication, HistoryItem,
                                                                Immunization, VitalSigns, AllergyReview)}
        self.notes: list[tuple[type, object, str]] = []

    def signed(self, day: dt.date, by) -> dict:
        recorded = dt.datetime.combine(day, dt.time(15), tzinfo=UTC)
        return {"patient": self.person.row.id, "recorded_by": by.id, "updated_by": by.id, "recorded_at": recorded,
                "updated_at": recorded}

    def add_allergies(self) -> None:
        possible = [kind for kind in ALLERGIES if kind.fits.admits(self.age)]
        for kind in self.rng.sample(possible, k=self.rng.choice([0, 0, 0, 1, 1, 2])):
            self.rows[Allergy].append(Allergy(substance=kind.substance, reaction=kind.reaction,
                                              severity=kind.severity, **self.signed(self.first_day, self.nurse)))
        if not self.rows[Allergy] and self.rng.random() < 0.8:
            # Asked at the first visit: "no known allergies", recorded as such.
            signed = self.signed(self.first_day, self.nurse)
            self.rows[AllergyReview].append(AllergyReview(patient=self.person.row.id, no_known_allergies=True,
                                                          reviewed_at=signed["recorded_at"],
                                                          reviewed_by=self.nurse.id))

    def add_problems(self) -> None:
        age, rng = self.age, self.rng
        pregnant = PREGNANCY.onset.admits(age, self.sex) and rng.random() < PREGNANT_SHARE
        possible = [condition for condition in conditions_possible(age, self.sex)
                    if not (pregnant and condition.unsafe_in_pregnancy)]
        count = rng.choice([0, 0, 0, 1, 1, 2] if age < 18 else [0, 0, 1, 1, 2] if age < 40 else
                           [0, 1, 1, 2, 3] if age < 65 else [1, 1, 2, 3, 3])
        for condition in rng.sample(possible, k=min(count, len(possible))):
            onset = self._onset(condition)
            if onset:
                self._add_problem(condition, onset)
        if pregnant:
            onset = self.today - dt.timedelta(days=rng.randrange(40, 250))
            if PREGNANCY.onset.admits(age_in_years(self.born, onset), self.sex):
                self._add_problem(PREGNANCY, onset)

    def _onset(self, condition: Condition) -> dt.date | None:
        """A day in the age window the condition begins in, within the last 25 years and at least 60 days ago
        (and not in a baby's first two months)."""
        earliest = max(years_after(self.born, condition.onset.youngest), months_after(self.born, 2),
                       self.today - dt.timedelta(days=25 * 365))
        latest = min(years_after(self.born, condition.onset.oldest + 1) - DAY, self.today - dt.timedelta(days=60))
        if earliest > latest:
            return None
        return earliest + dt.timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def _add_problem(self, condition: Condition, onset: dt.date) -> None:
        rng = self.rng
        noted = min(max(self.first_day, onset + dt.timedelta(days=rng.randrange(0, 30))), self.today - DAY)
        self.rows[Problem].append(Problem(description=condition.description, icd10_code=condition.icd10,
                                          onset=onset, **self.signed(noted, self.doctor)))
        self.person.codes.add(condition.icd10)
        start = min(onset + dt.timedelta(days=rng.randrange(7, 45)), self.today - DAY)
        age_at_start = age_in_years(self.born, start)
        medicines = [medicine for medicine in condition.medicines if medicine.fits.admits(age_at_start)]
        for position, medicine in enumerate(medicines):
            if position and rng.random() >= 0.4:
                continue  # a second medicine for some
            medication = Medication(name=medicine.name, dose=medicine.dose, frequency=medicine.frequency,
                                    route=medicine.route, start_date=start, prescriber=self.doctor.full_name,
                                    **self.signed(max(start, self.first_day), self.doctor))
            self.rows[Medication].append(medication)
            if rng.random() < 0.15:
                self.notes.append((Medication, medication, "Review dose at next visit; patient reports good adherence."))

    def add_history(self) -> None:
        rng = self.rng
        possible = history_possible(self.age, self.sex)
        count = rng.choice([0, 1, 2] if self.age >= 18 else [0, 1, 1])
        for event in rng.sample(possible, k=min(len(possible), count)):
            description, when = event.description, event.when_text
            if event.happened:
                low, high = event.happened
                year = str(self.born.year + rng.randint(low, min(high, self.age - 1)))
                if "{year}" in description:
                    description = description.format(year=year)
                else:
                    when = year
            self.rows[HistoryItem].append(HistoryItem(kind=event.kind, description=description, when_text=when,
                                                      **self.signed(self.first_day, self.doctor)))

    def add_immunisations(self) -> None:
        rng = self.rng
        if self.age < 18:
            # The doses given here, all of one age's at the same visit; earlier
            # ones stay in the state registry.
            visit_days: dict[int, dt.date] = {}
            for vaccine, dose, months in CHILDHOOD_SCHEDULE:
                if months not in visit_days:
                    visit_days[months] = months_after(self.born, months) + dt.timedelta(days=rng.randrange(0, 15))
                given = visit_days[months]
                if self.person.registered <= given < self.today:
                    self._give(vaccine, given, str(dose))
        else:
            if rng.random() < 0.25:
                tdap_from = max(years_after(self.born, 19), self.today - dt.timedelta(days=3650))
                self._give("Tdap", tdap_from + dt.timedelta(days=rng.randrange(max(1, (self.today - tdap_from).days))))
            if self.age >= 51 and rng.random() < 0.35:
                first = self.today - dt.timedelta(days=rng.randrange(90, 2000))
                if age_in_years(self.born, first) >= 50:
                    self._give("Shingles (recombinant zoster)", first, "1")
                    self._give("Shingles (recombinant zoster)", first + dt.timedelta(days=rng.randrange(60, 180)), "2")
            if self.age >= 66 and rng.random() < 0.4:
                self._give("Pneumococcal conjugate (PCV20)", self.today - dt.timedelta(days=rng.randrange(30, 365)))
        if self.age >= 1:
            season = self.today.year if self.today >= dt.date(self.today.year, 9, 20) else self.today.year - 1
            for year, share in ((season, 0.45), (season - 1, 0.2)):
                if rng.random() < share:
                    self._give("Influenza (seasonal)", dt.date(year, 9, 15) + dt.timedelta(days=rng.randrange(0, 75)))
            if rng.random() < 0.15:
                self._give("COVID-19 mRNA", dt.date(season, 9, 10) + dt.timedelta(days=rng.randrange(0, 80)))

    def _give(self, vaccine: str, given: dt.date, dose: str = "1") -> None:
        months = age_in_months(self.born, given)
        if given >= self.today or given < self.born or not vaccine_fits(vaccine, months):
            return
        ours = given >= self.person.registered
        self.rows[Immunization].append(Immunization(
            vaccine=vaccine, given_on=given, dose_number=dose, lot_number=f"L{self.rng.randrange(10000, 99999)}",
            site=injection_site(vaccine, months, left=self.rng.random() < 0.5),
            given_by=self.nurse.full_name if ours else "Outside provider",
            **self.signed(max(given, self.person.registered), self.nurse)))

    def add_vital_signs(self) -> None:
        body = new_body(self.rng, self.sex, self.age, hypertensive="I10" in self.person.codes)
        for day in self.person.visits:
            reading = vital_signs(self.rng, body, (day - self.born).days / 365.25, age_in_years(self.born, day))
            signed = self.signed(day, self.nurse)
            self.rows[VitalSigns].append(VitalSigns(measured_at=signed["recorded_at"], **reading, **signed))


async def add_histories(rng: random.Random, people: list[DemoPatient], clinicians: list, today: dt.date) -> int:
    """Allergies, problems with their medications, history, immunisations, vitals; returns how many entries."""
    staff = {role: [person for person in clinicians if person.role == role] or clinicians
             for role in ("doctor", "nurse")}
    rows: dict[type, list] = {}
    notes: list[tuple[type, object, str]] = []
    for person in people:
        chart = _Chart(rng, person, staff, today)
        chart.add_allergies()
        chart.add_problems()
        chart.add_history()
        chart.add_immunisations()
        chart.add_vital_signs()
        for table, items in chart.rows.items():
            rows.setdefault(table, []).extend(items)
        notes.extend(chart.notes)
    total = 0
    for table, items in rows.items():
        for start in range(0, len(items), 250):
            await table.insert(*items[start:start + 250])
        total += len(items) if table is not AllergyReview else 0
    cipher = fields.cipher()
    for table, item, text in notes:
        await table.update({table.notes: cipher.seal(table, "notes", item.id, text)}).where(table.id == item.id)
    return total
