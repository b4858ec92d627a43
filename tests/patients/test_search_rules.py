"""How the header search reads what was typed, and how it ranks what it found (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.patients.identifiers import format_mrn, is_valid_mrn, luhn_check_digit
from clinic.patients.search import NamePrefixes, SearchTerms, best_first, queries_for, read_search

MRN = "104237" + luhn_check_digit("104237")


def us(text: str) -> SearchTerms:
    return read_search(text, "MDY", "US")


def test_the_example_mrn_checks_itself():
    assert is_valid_mrn(MRN) and format_mrn(MRN) == "104237-3"


# Names

def test_one_word_is_a_prefix_of_a_last_first_or_preferred_name():
    assert us("smi").names == (NamePrefixes(last="smi"), NamePrefixes(first="smi"), NamePrefixes(preferred="smi"))


def test_it_reads_names_without_case_or_accents():
    assert us("NÚÑ").names[0] == NamePrefixes(last="nun")
    assert us("Zoë").names[1] == NamePrefixes(first="zoe")


def test_apostrophes_vanish_and_hyphens_separate_words():
    assert us("O'Bri").names[0] == NamePrefixes(last="obri")
    assert us("müller-lü").names[2] == NamePrefixes(last="muller lu")


def test_two_words_are_tried_as_first_last_then_last_first_then_one_long_last_name():
    assert us("john smi").names == (
        NamePrefixes(first="john", last="smi"), NamePrefixes(last="john", first="smi"),
        NamePrefixes(last="john smi"))


def test_a_comma_between_last_and_first_name_is_a_space():
    assert us("Núñez, Jo").names == us("nunez jo").names
    assert NamePrefixes(last="nunez", first="jo") in us("Núñez, Jo").names


def test_a_last_name_of_several_words_keeps_them_together():
    readings = us("de la cru").names
    assert NamePrefixes(first="de", last="la cru") in readings
    assert NamePrefixes(last="de la", first="cru") in readings
    assert NamePrefixes(last="de la cru") in readings


@pytest.mark.parametrize("text", ["", "   ", "!!", "--"])
def test_nothing_searchable_gives_no_query(text):
    assert us(text) == SearchTerms()
    assert queries_for(text, "MDY", "US") == []


# Medical record numbers

@pytest.mark.parametrize("text", [MRN, format_mrn(MRN), f" {MRN[:3]} {MRN[3:]} "])
def test_an_mrn_is_found_with_or_without_the_dash_before_its_check_digit(text):
    assert us(text).mrn == MRN


def test_seven_digits_with_a_wrong_check_digit_are_not_an_mrn():
    wrong = MRN[:-1] + str((int(MRN[-1]) + 1) % 10)
    assert us(wrong).mrn == ""
    assert us(wrong).phone_digits == wrong  # still the last digits of a phone number


def test_an_mrn_is_also_tried_as_phone_digits_and_first():
    terms = us(MRN)
    assert terms == SearchTerms(mrn=MRN, phone_digits=MRN)
    assert len(queries_for(MRN, "MDY", "US")) == 2


def test_six_digits_without_the_check_digit_are_phone_digits_not_an_mrn():
    assert us(MRN[:-1]) == SearchTerms(phone_digits=MRN[:-1])


def test_digits_of_another_script_are_never_an_mrn():
    # "²" passes str.isdigit but is no digit int() can read: this once crashed the search.
    terms = us("12345²6")
    assert terms.mrn == "" and terms.phone_digits == ""
    assert len(queries_for("12345²6", "MDY", "US")) == 3


# Dates of birth

def test_a_date_typed_in_the_clinics_order_is_a_date_of_birth():
    assert us("03/15/1980") == SearchTerms(date_of_birth=dt.date(1980, 3, 15))
    assert read_search("15/03/1980", "DMY", "GB") == SearchTerms(date_of_birth=dt.date(1980, 3, 15))


def test_an_iso_date_is_a_date_of_birth_in_every_clinic():
    for order in ("MDY", "DMY", "YMD"):
        assert read_search("1980-03-15", order).date_of_birth == dt.date(1980, 3, 15)


def test_a_date_in_the_wrong_order_is_not_a_date_of_birth():
    assert us("15/03/1980").date_of_birth is None


def test_a_date_of_birth_is_searched_alone():
    assert len(queries_for("03/15/1980", "MDY", "US")) == 1


# Phone numbers

@pytest.mark.parametrize("text, expected", [
    ("0177", "0177"),
    ("555-0177", "5550177"),
    ("(415) 555 0177", "4155550177"),
    ("+1 415 555 0177", "4155550177"),
    ("1 (415) 555-0177", "4155550177"),
])
def test_phone_digits_are_matched_from_the_end_of_the_national_number(text, expected):
    assert us(text) == SearchTerms(phone_digits=expected)


def test_a_british_number_typed_with_its_trunk_zero_finds_the_stored_number():
    # Stored keys hold the national significant digits (2079460958); "0" + those never matched from the end.
    assert read_search("020 7946 0958", "DMY", "GB").phone_digits == "2079460958"
    assert read_search("+44 20 7946 0958", "DMY", "GB").phone_digits == "2079460958"
    assert read_search("0958", "DMY", "GB").phone_digits == "0958"


def test_fewer_than_four_digits_are_not_a_phone_number():
    assert us("017").phone_digits == ""


def test_digits_mixed_with_letters_are_a_name_not_a_phone():
    terms = us("555 abc")
    assert terms.phone_digits == "" and terms.names


# Ranking

def row(row_id: int, last: str, first: str) -> dict:
    return {"id": row_id, "last_name_key": last, "first_name_key": first}


def test_an_exact_last_name_comes_first_then_last_name_prefixes_then_first_names():
    rows = [row(1, "adams", "lee"), row(2, "leeds", "amy"), row(3, "lee", "zed")]
    assert [found["id"] for found in best_first(rows, "lee")] == [3, 2, 1]


def test_within_a_rank_patients_are_in_alphabetical_order():
    rows = [row(1, "smithson", "bea"), row(2, "smithers", "cal"), row(3, "smithers", "abe")]
    assert [found["id"] for found in best_first(rows, "smi")] == [3, 2, 1]


def test_namesakes_keep_a_stable_order_by_record():
    rows = [row(9, "lee", "ann"), row(4, "lee", "ann")]
    assert [found["id"] for found in best_first(rows, "lee")] == [4, 9]


def test_an_exact_last_name_of_two_words_is_exact():
    rows = [row(1, "de la cruzado", "ana"), row(2, "de la cruz", "zoe")]
    assert [found["id"] for found in best_first(rows, "De La Cruz")] == [2, 1]


def test_a_search_by_number_keeps_an_alphabetical_order():
    rows = [row(2, "young", "amy"), row(1, "adams", "zed")]
    assert [found["id"] for found in best_first(rows, "0177")] == [1, 2]
