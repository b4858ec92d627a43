"""Who the benchmark clinic's patients are: names, birth dates, phones, and what people type to find them.

Deterministic (one ``random.Random`` passed in). Surnames follow a long tail as
in a real practice: a few common ones (Smith, Garcia, Nguyen...) cover about a
third of the patients, the rest are spread over thousands of rarer names, so a
three-letter prefix finds a realistic handful of candidates, not a whole list.
Patients can also come from a CSV (given name, family name, date of birth, sex),
so the same people can be loaded into another system and compared.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from clinic.ops.demo_people import AREA_CODES, FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES

SYLLABLES = ["an", "bel", "cor", "dan", "el", "fer", "gal", "hol", "ing", "jon", "kal", "lor", "mar", "nor", "ost",
             "par", "quin", "ros", "sal", "tor", "ul", "var", "wes", "yor", "zan", "bra", "cha", "dru", "gre", "ha",
             "is", "ka", "le", "mo", "ni", "or", "pe", "ri", "su", "ta", "vi", "wo"]
COMMON_SHARE = 0.35
SEXES = ("female", "male")


@dataclass
class Person:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str


def surname(rng: random.Random) -> str:
    if rng.random() < COMMON_SHARE:
        # Zipf-like: the first names of the list are much more common than the last.
        index = min(int(rng.paretovariate(1.2)) - 1, len(LAST_NAMES) - 1)
        return LAST_NAMES[index]
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3)))).capitalize()


def birth_date(rng: random.Random, today: dt.date) -> dt.date:
    """One in five a child, as in a family practice; adults up to 95."""
    years = rng.uniform(0, 18) if rng.random() < 0.2 else rng.uniform(18, 95)
    return today - dt.timedelta(days=int(years * 365.25))


def generated_people(rng: random.Random, count: int, today: dt.date) -> list[Person]:
    people = []
    for _ in range(count):
        sex = rng.choice(SEXES)
        first = rng.choice(FIRST_NAMES_F if sex == "female" else FIRST_NAMES_M)
        people.append(Person(first, surname(rng), birth_date(rng, today), sex))
    return people


def people_from_csv(path: Path) -> list[Person]:
    """given name, family name, date of birth (YYYY-MM-DD), sex; a header row is skipped."""
    people = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if len(row) < 4 or not row[0].strip():
                continue
            try:
                born = dt.date.fromisoformat(row[2].strip())
            except ValueError:
                continue  # the header, or a row we cannot read
            sex = row[3].strip().lower()
            sex = {"f": "female", "m": "male"}.get(sex, sex if sex in SEXES else "")
            people.append(Person(row[0].strip()[:80], row[1].strip()[:80], born, sex))
    if not people:
        raise SystemExit(f"{path}: no patients read (expected: given name, family name, YYYY-MM-DD, sex)")
    return people


def phone_number(rng: random.Random) -> str:
    return f"+1{rng.choice(AREA_CODES)}555{rng.randrange(100, 10000):04d}"


def search_texts(rng: random.Random, patients: list[dict], count: int = 400) -> list[str]:
    """What the front desk types in the header search: mostly name prefixes, some MRNs, birth dates, phones."""
    texts = []
    for _ in range(count):
        patient = rng.choice(patients)
        roll = rng.random()
        if roll < 0.45:
            texts.append(patient["last_name"][:rng.choice((3, 3, 4, 5))])
        elif roll < 0.6:
            texts.append(f"{patient['first_name'][:3]} {patient['last_name'][:3]}")
        elif roll < 0.75:
            texts.append(patient["mrn"])
        elif roll < 0.85:
            texts.append(patient["date_of_birth"].strftime("%m/%d/%Y"))
        else:
            texts.append(patient["phone"][-4:])
    return texts


def read_texts(path: Path) -> list[str]:
    texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise SystemExit(f"{path}: no search texts (one per line)")
    return texts
