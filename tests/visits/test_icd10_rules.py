"""Reading what is typed into the diagnosis search (no database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clinic.core.errors import Invalid
from clinic.visits.icd10 import Query, compact, next_prefix, read_query, with_dot, words_of
from clinic.visits.notes import SOAP, outline_of, parse_outline


def test_a_code_typed_without_its_dot_is_read_with_it():
    assert with_dot("E119") == "E11.9"
    assert with_dot("e11.65") == "E11.65"
    assert with_dot("I10") == "I10"
    assert compact(" j02.9 ") == "J029"


def test_a_code_prefix_is_searched_by_code_and_anything_else_by_words():
    assert read_query("E11") == Query(code_prefix="E11")
    assert read_query("e11.6") == Query(code_prefix="E116")
    assert read_query("E119") == Query(code_prefix="E119")
    assert read_query("type 2 diab") == Query(words=("type", "2", "diab"))
    assert read_query("  ") == Query()
    assert read_query("diabetes diabetes mell") == Query(words=("diabetes", "mell"))


def test_words_are_lower_case_without_accents_or_punctuation():
    assert words_of("Ménière's disease, left ear") == ["meniere", "s", "disease", "left", "ear"]
    assert words_of("Type 2 diabetes mellitus") == ["type", "2", "diabetes", "mellitus"]


def test_a_prefix_range_ends_just_after_every_word_that_starts_with_it():
    assert next_prefix("diab") == "diac"
    assert "diabetes" < next_prefix("diab") and "diac" >= next_prefix("diab")


def test_a_template_outline_reads_titles_prompts_and_default_text():
    sections = parse_outline("## History\n? What brings them in\nPresenting complaint:\n\n## Plan\n")
    assert [(s.key, s.title, s.prompt, s.text) for s in sections] == [
        ("history", "History", "What brings them in", "Presenting complaint:"), ("plan", "Plan", "", "")]
    assert parse_outline(outline_of(list(SOAP))) == list(SOAP)


@pytest.mark.parametrize("outline", ["", "Just text without a heading", "## " + "x" * 81])
def test_an_outline_without_proper_sections_is_refused(outline):
    with pytest.raises(Invalid):
        parse_outline(outline)


def test_the_web_app_never_imports_the_icd10_package():
    """Importing simple_icd_10_cm costs ~1.5 s and ~150 MB: only `clinic icd10 load` may."""
    script = ("import sys, clinic.app, clinic.visits.controllers, clinic.visits.notes_controllers; "
              "sys.exit(1 if 'simple_icd_10_cm' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True).returncode == 0
