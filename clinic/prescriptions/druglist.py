"""The shipped list of common outpatient medications (drugs.txt), read once.

Each drug has a class (the key allergy checks use), a usual route, the forms
and strengths it comes in, and where known a usual adult single dose in mg.
Searching matches the start of any word of the name or the class, so "amox",
"clav" and "penicill" all find Amoxicillin and clavulanate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("drugs.txt")
STRENGTH = re.compile(r"^(?P<form>[a-z][a-z ,-]*?) (?P<strength>[0-9].*)$")
DOSE_RANGE = re.compile(r"^(?P<low>[0-9.]+)-(?P<high>[0-9.]+) mg$")

# Allergy words that name a whole class ("sulfa" is the usual way a sulfonamide allergy is written).
CLASS_ALIASES: dict[str, tuple[str, ...]] = {
    "penicillins": ("penicillin", "penicillins", "pcn", "beta-lactam", "beta lactam", "beta-lactams"),
    "cephalosporins": ("cephalosporin", "cephalosporins", "cephalosporine", "beta-lactam", "beta lactam",
                       "beta-lactams"),
    "sulfonamides": ("sulfa", "sulfa drugs", "sulpha", "sulfonamide", "sulfonamides", "sulphonamide",
                     "sulphonamides", "sulfa antibiotics"),
    "nsaids": ("nsaid", "nsaids", "non-steroidal anti-inflammatory", "non-steroidal anti-inflammatories",
               "anti-inflammatories"),
    "opioids": ("opioid", "opioids", "opiate", "opiates", "narcotic", "narcotics"),
    "macrolides": ("macrolide", "macrolides"),
    "tetracyclines": ("tetracyclines",),
    "fluoroquinolones": ("quinolone", "quinolones", "fluoroquinolone", "fluoroquinolones"),
    "ace inhibitors": ("ace inhibitor", "ace inhibitors", "ace-i"),
    "statins": ("statin", "statins"),
    "benzodiazepines": ("benzodiazepine", "benzodiazepines", "benzos"),
    "ssris": ("ssri", "ssris"),
    "insulins": ("insulin",),
}
# An allergy to one class that warrants a warning for another (cross-reactivity is possible).
RELATED_CLASSES: dict[str, tuple[str, ...]] = {
    "penicillins": ("cephalosporins",),
    "cephalosporins": ("penicillins",),
}
ACRONYMS = {"nsaids": "NSAIDs", "ssris": "SSRIs", "snris": "SNRIs", "ace inhibitors": "ACE inhibitors",
            "dpp-4 inhibitors": "DPP-4 inhibitors", "sglt2 inhibitors": "SGLT2 inhibitors",
            "glp-1 agonists": "GLP-1 agonists", "h2 blockers": "H2 blockers", "pde5 inhibitors": "PDE5 inhibitors",
            "dmards": "DMARDs"}


def class_label(key: str) -> str:
    return ACRONYMS.get(key, key.capitalize()) if key else ""


def class_words(key: str) -> str:
    """The class as it reads inside a sentence: "penicillins", "NSAIDs"."""
    return ACRONYMS.get(key, key)


def folded(text: str) -> str:
    """Case, spacing and hyphen-spacing ignored: how names are compared."""
    return " ".join(text.replace("\u2011", "-").split()).casefold()


@dataclass(frozen=True)
class Presentation:
    form: str
    strength: str

    @property
    def label(self) -> str:
        return f"{self.form} {self.strength}"

    @property
    def strength_mg(self) -> Decimal | None:
        """The first amount of a single-ingredient-per-unit strength, in mg ("500 mg", "50 mcg")."""
        match = re.match(r"^([0-9.]+) (mg|mcg|g)(?:$|/)", self.strength)
        if not match or "/" in self.strength and not self.strength.split("/")[1].strip()[:1].isdigit():
            return None
        return to_mg(Decimal(match.group(1)), match.group(2))


@dataclass(frozen=True)
class Drug:
    key: str
    name: str
    drug_class: str
    route: str
    presentations: tuple[Presentation, ...]
    dose_low_mg: Decimal | None
    dose_high_mg: Decimal | None

    @property
    def class_label(self) -> str:
        return class_label(self.drug_class)

    @property
    def forms(self) -> list[str]:
        return list(dict.fromkeys(p.form for p in self.presentations))

    @property
    def strengths(self) -> list[str]:
        return list(dict.fromkeys(p.strength for p in self.presentations))

    @property
    def usual_dose(self) -> str:
        if self.dose_low_mg is None:
            return ""
        low, high = plain(self.dose_low_mg), plain(self.dose_high_mg)
        return f"{low} mg" if low == high else f"{low}–{high} mg"

    def strength_mg(self, strength: str) -> Decimal | None:
        for presentation in self.presentations:
            if folded(presentation.strength) == folded(strength):
                return presentation.strength_mg
        return Presentation("", strength).strength_mg


def plain(number: Decimal | None) -> str:
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return text


def to_mg(amount: Decimal, unit: str) -> Decimal | None:
    factor = {"mg": Decimal(1), "g": Decimal(1000), "mcg": Decimal("0.001")}.get(unit)
    return amount * factor if factor is not None else None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def parse(text: str) -> tuple[Drug, ...]:
    drugs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 5:
            raise ValueError(f"drugs.txt line {number}: expected 5 columns")
        name, drug_class, route, presentations, dose = parts
        found = []
        for item in presentations.split(";"):
            match = STRENGTH.match(item.strip())
            if not match:
                raise ValueError(f"drugs.txt line {number}: cannot read {item.strip()!r}")
            found.append(Presentation(match["form"], match["strength"]))
        low = high = None
        if dose:
            match = DOSE_RANGE.match(dose)
            if not match:
                raise ValueError(f"drugs.txt line {number}: cannot read the dose {dose!r}")
            low, high = Decimal(match["low"]), Decimal(match["high"])
        drugs.append(Drug(_key(name), name, drug_class, route, tuple(found), low, high))
    return tuple(drugs)


@lru_cache(maxsize=1)
def all_drugs() -> tuple[Drug, ...]:
    return parse(DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Drug]:
    return {folded(drug.name): drug for drug in all_drugs()}


def by_name(name: str) -> Drug | None:
    """The listed drug with exactly this name (case and spacing ignored), or None: free text."""
    return _by_name().get(folded(name))


def by_key(key: str) -> Drug | None:
    return next((drug for drug in all_drugs() if drug.key == key), None)


def search(text: str, limit: int = 12) -> list[Drug]:
    """Drugs whose name (or class) has a word starting with each word typed; names first."""
    words = [word for word in re.split(r"[^a-z0-9.]+", folded(text)) if word][:6]
    if not words:
        return []

    def matches(haystack: str) -> bool:
        tokens = re.split(r"[^a-z0-9.]+", haystack)
        return all(any(token.startswith(word) for token in tokens) for word in words)

    by_name_hits = [drug for drug in all_drugs() if matches(folded(drug.name))]
    by_class_hits = [drug for drug in all_drugs() if drug not in by_name_hits and matches(drug.drug_class)]
    starts = sorted(by_name_hits, key=lambda drug: (not folded(drug.name).startswith(words[0]), drug.name))
    return (starts + by_class_hits)[:limit]


def classes_named_by(substance: str) -> set[str]:
    """The drug classes an allergy entry names: a class word ("sulfa"), or a listed drug's class."""
    wanted = folded(substance)
    for suffix in (" allergy", " allergies"):
        wanted = wanted.removesuffix(suffix)
    found = {key for key, aliases in CLASS_ALIASES.items() if wanted in aliases or wanted == key}
    words = re.split(r"[^a-z0-9-]+", wanted)
    found |= {key for key, aliases in CLASS_ALIASES.items() if any(word in aliases for word in words)}
    drug = by_name(wanted)
    if drug is not None:
        found.add(drug.drug_class)
    return found
