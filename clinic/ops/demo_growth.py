"""Bodies and vital signs for the demo clinic, by age and sex.

Children follow a growth-chart percentile of their own (CDC/WHO medians), so
the same child is taller and heavier at each visit; adults keep their height
and a body-mass index near the median for their age. Pulse, breathing rate
and blood pressure come from the normal ranges for the age at the reading;
blood pressure is not taken routinely before the age of three.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from decimal import Decimal

from clinic.ops.demo_rules import FEMALE

# Median height (cm) and weight (kg) by age in years: (girls, boys), from the
# WHO charts to age two and the CDC charts after, rounded.
GROWTH_MEDIANS = {
    0: ((49.1, 3.2), (49.9, 3.3)), 0.25: ((59.8, 5.8), (61.4, 6.4)), 0.5: ((65.7, 7.3), (67.6, 7.9)),
    1: ((74.0, 8.9), (75.7, 9.6)), 1.5: ((80.7, 10.2), (82.3, 10.9)), 2: ((86.4, 11.5), (87.8, 12.2)),
    3: ((95.1, 13.9), (96.1, 14.3)), 4: ((102.7, 16.1), (103.3, 16.3)), 5: ((109.4, 18.2), (110.0, 18.4)),
    6: ((115.1, 20.2), (116.0, 20.7)), 7: ((121.1, 22.4), (121.7, 22.9)), 8: ((126.6, 25.0), (127.3, 25.6)),
    9: ((132.2, 28.2), (132.6, 28.6)), 10: ((138.3, 31.9), (137.8, 31.9)), 11: ((144.8, 36.0), (143.1, 35.6)),
    12: ((151.5, 40.5), (149.1, 39.9)), 13: ((156.7, 45.0), (156.0, 45.3)), 14: ((159.6, 49.4), (163.2, 50.8)),
    15: ((161.1, 52.7), (169.0, 56.0)), 16: ((162.2, 54.6), (172.9, 60.8)), 17: ((162.5, 56.2), (175.2, 64.6)),
    18: ((163.0, 57.2), (176.1, 67.2)),
}
# Median adult body-mass index by age (US adults): it rises through middle age.
ADULT_BMI_MEDIANS = {18: 21.7, 30: 26.0, 45: 28.0, 65: 28.0, 80: 26.5, 100: 25.0}


def _between(table: dict[float, float], age: float) -> float:
    ages = sorted(table)
    age = min(max(age, ages[0]), ages[-1])
    upper = bisect.bisect_left(ages, age)
    if ages[upper] == age:
        return table[age]
    low, high = ages[upper - 1], ages[upper]
    return table[low] + (table[high] - table[low]) * (age - low) / (high - low)


def growth_median(age: float, sex: str) -> tuple[float, float]:
    """Median (height cm, weight kg) at ``age`` years (fractional), 18-year-olds' beyond."""
    which = 0 if sex == FEMALE else 1
    return (_between({year: pair[which][0] for year, pair in GROWTH_MEDIANS.items()}, age),
            _between({year: pair[which][1] for year, pair in GROWTH_MEDIANS.items()}, age))


def adult_bmi_median(age: float) -> float:
    return _between(ADULT_BMI_MEDIANS, age)


@dataclass(frozen=True)
class NormalRanges:
    pulse: tuple[int, int]
    respiratory_rate: tuple[int, int]
    systolic: tuple[int, int] | None  # None: not measured at this age
    diastolic: tuple[int, int] | None


def normal_ranges(age: int) -> NormalRanges:
    """Resting normal ranges for a well patient of ``age`` whole years (paediatric life-support tables)."""
    if age < 1:
        return NormalRanges((110, 160), (30, 50), None, None)
    if age < 3:
        return NormalRanges((95, 140), (24, 36), None, None)
    if age < 6:
        return NormalRanges((80, 120), (20, 28), (90, 110), (52, 70))
    if age < 12:
        return NormalRanges((70, 110), (18, 24), (95, 115), (55, 75))
    if age < 18:
        return NormalRanges((60, 100), (12, 20), (100, 125), (60, 80))
    return NormalRanges((58, 96), (12, 18), (100, 135), (62, 85))


@dataclass(frozen=True)
class Body:
    """A patient's own place on the charts, the same at every visit."""

    sex: str
    height_z: float  # standard deviations from the median height
    weight_z: float  # from the median weight for that height (children) or BMI (adults)
    hypertensive: bool = False

    def height_cm(self, age: float) -> float:
        # About 4% of height is one standard deviation at every age.
        return growth_median(age, self.sex)[0] * (1 + 0.04 * self.height_z)

    def weight_kg(self, age: float) -> float:
        height = self.height_cm(age)
        if age < 18:
            median_height, median_weight = growth_median(age, self.sex)
            return median_weight * (height / median_height) ** 2 * 1.12 ** self.weight_z
        return adult_bmi_median(age) * 1.16 ** self.weight_z * (height / 100) ** 2


def new_body(rng: random.Random, sex: str, age: int, hypertensive: bool = False) -> Body:
    # Clipped so that height and weight together stay within about three
    # standard deviations of the median; adults drift heavier more often than lighter.
    if age < 18:
        height_z, weight_z = _clip(rng.gauss(0, 1), -1.8, 1.8), _clip(rng.gauss(0, 0.8), -1.2, 1.5)
    else:
        height_z, weight_z = _clip(rng.gauss(0, 1), -2.0, 2.0), _clip(rng.gauss(0.2, 1), -1.2, 2.4)
    return Body(sex, height_z, weight_z, hypertensive)


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def vital_signs(rng: random.Random, body: Body, age: float, years: int) -> dict:
    """One set of readings at ``age`` years (fractional; ``years`` whole, by birthdays), as VitalSigns values."""
    ranges = normal_ranges(years)
    weight = body.weight_kg(age) + (rng.uniform(-1.5, 1.5) if years >= 18 else 0)
    reading = {
        "height_cm": Decimal(f"{body.height_cm(age):.1f}"),
        "weight_kg": Decimal(f"{weight:.1f}"),
        "pulse": rng.randint(*ranges.pulse),
        "respiratory_rate": rng.randint(*ranges.respiratory_rate),
        "temperature_c": Decimal(f"{rng.uniform(36.4, 37.2):.1f}"),
        "oxygen_saturation": rng.randint(96, 100),
        "systolic": None,
        "diastolic": None,
    }
    if ranges.systolic:
        systolic, diastolic = rng.randint(*ranges.systolic), rng.randint(*ranges.diastolic)
        if years >= 18:
            # Pressure creeps up with age; treated hypertension still runs higher.
            rise = max(0, years - 40) // 4 + (14 if body.hypertensive else 0)
            systolic, diastolic = systolic + rise, diastolic + rise // 3
        reading["systolic"], reading["diastolic"] = systolic, min(diastolic, systolic - 30)
    return reading
