"""The demo clinic's plausibility rules, as plain functions (no database)."""

from __future__ import annotations

import datetime as dt
import random

from clinic.ops.demo_growth import Body, new_body, normal_ranges, vital_signs
from clinic.ops.demo_rules import (
    CHILDHOOD_SCHEDULE,
    EMERGENCY_RELATIONS,
    age_in_months,
    age_in_years,
    conditions_possible,
    history_possible,
    injection_site,
    likely_relations,
    plans_for,
    reason_fits,
    relation_fits,
    subscriber_relations,
    vaccine_fits,
    visit_reasons_for,
)


def test_age_counts_whole_birthdays_even_for_a_leap_day_baby():
    born = dt.date(2000, 2, 29)
    assert age_in_years(born, dt.date(2001, 2, 28)) == 0
    assert age_in_years(born, dt.date(2001, 3, 1)) == 1
    assert age_in_months(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 0
    assert age_in_months(dt.date(2026, 1, 31), dt.date(2026, 3, 31)) == 2


def test_a_prenatal_visit_needs_a_woman_of_childbearing_age_with_a_pregnancy_on_her_chart():
    pregnant = {"Z34.90"}
    assert reason_fits("Prenatal visit", 30, "female", pregnant)
    assert not reason_fits("Prenatal visit", 30, "female", set())
    assert not reason_fits("Prenatal visit", 19, "male", pregnant)
    assert not reason_fits("Prenatal visit", 6, "female", pregnant)
    assert not reason_fits("Prenatal visit", 55, "female", pregnant)


def test_children_have_well_child_visits_and_over_sixty_fives_medicare_wellness_visits():
    _, child = visit_reasons_for(6, "male", [], nurse=False)
    assert "Well-child visit" in child and "Annual physical" not in child and "Back pain" not in child
    _, adult = visit_reasons_for(40, "female", [], nurse=False)
    assert "Annual physical" in adult and "Well-child visit" not in adult
    _, older = visit_reasons_for(70, "male", [], nurse=False)
    assert "Medicare annual wellness visit" in older and "Annual physical" not in older


def test_a_review_is_offered_only_for_a_condition_on_the_chart():
    about_chart, _ = visit_reasons_for(60, "male", ["E11.9"], nurse=False)
    assert about_chart == ["Diabetes review"]
    assert visit_reasons_for(60, "male", [], nurse=False)[0] == []


def test_the_nurse_sees_only_nurse_visits():
    _, nurse = visit_reasons_for(50, "female", [], nurse=True)
    assert set(nurse) == {"Vaccination", "Wound check", "Blood test", "Blood pressure check"}


def test_a_child_names_a_parent_or_guardian():
    for age in range(18):
        assert set(likely_relations(age)) <= {"mother", "father", "guardian"}


def test_relations_follow_the_patients_age():
    assert not relation_fits("son", 30) and relation_fits("son", 45)
    assert not relation_fits("spouse", 15) and relation_fits("spouse", 35)
    assert not relation_fits("mother", 85) and relation_fits("mother", 6)
    assert not relation_fits("guardian", 30)
    for age in range(0, 100, 3):
        assert all(relation_fits(relation, age) for relation in likely_relations(age))
        assert likely_relations(age)


def test_gendered_relations_say_the_contacts_sex():
    assert EMERGENCY_RELATIONS["mother"].sex == "female" and EMERGENCY_RELATIONS["son"].sex == "male"
    assert EMERGENCY_RELATIONS["spouse"].sex == ""


def test_adult_conditions_are_not_possible_for_a_child():
    codes = {condition.icd10 for condition in conditions_possible(6, "male")}
    assert "J45.20" in codes
    assert not codes & {"I10", "E11.9", "E78.5", "M17.9", "N40.1"}
    assert "N40.1" not in {condition.icd10 for condition in conditions_possible(70, "female")}
    assert "M81.0" not in {condition.icd10 for condition in conditions_possible(70, "male")}


def test_history_fits_the_patients_age_and_sex():
    assert "Cesarean section" not in {event.description for event in history_possible(40, "male")}
    assert "Works night shifts as a nurse" not in {event.description for event in history_possible(8, "female")}


def test_every_childhood_dose_is_given_inside_its_vaccines_age_window():
    assert all(vaccine_fits(vaccine, months) for vaccine, _, months in CHILDHOOD_SCHEDULE)
    assert not vaccine_fits("Rotavirus", 9)
    assert not vaccine_fits("MMR", 30 * 12)
    assert not vaccine_fits("Shingles (recombinant zoster)", 40 * 12)


def test_babies_are_injected_in_the_thigh_and_rotavirus_is_swallowed():
    assert injection_site("DTaP-IPV/Hib", 2, left=True) == "left thigh"
    assert injection_site("Tdap", 132, left=False) == "right deltoid"
    assert injection_site("Rotavirus", 4, left=True) == "oral"


def test_medicare_is_for_sixty_five_and_over_and_a_child_is_on_a_parents_plan():
    assert not any("Medicare" in f"{plan.payer} {plan.plan}" for plan in plans_for(40))
    assert all(plan.own for plan in plans_for(70))
    for plan in plans_for(8):
        assert set(subscriber_relations(8, plan)) == ({"self"} if plan.own else {"child"})


def test_a_child_grows_taller_and_heavier_month_by_month():
    body = Body("female", height_z=-1.5, weight_z=1.0)
    ages = [month / 12 for month in range(0, 18 * 12)]
    heights, weights = [body.height_cm(age) for age in ages], [body.weight_kg(age) for age in ages]
    assert all(later > earlier for earlier, later in zip(heights, heights[1:]))
    assert all(later > earlier for earlier, later in zip(weights, weights[1:]))


def test_no_blood_pressure_is_taken_under_three_and_readings_stay_in_the_normal_range():
    assert normal_ranges(2).systolic is None and normal_ranges(3).systolic is not None
    rng = random.Random(1)
    for age in (0, 2, 5, 9, 15, 40, 80):
        body = new_body(rng, "male", age)
        reading = vital_signs(rng, body, age + 0.5, age)
        low, high = normal_ranges(age).pulse
        assert low <= reading["pulse"] <= high
        assert (reading["systolic"] is None) == (age < 3)
