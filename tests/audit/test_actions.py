"""Audit entries in plain language (no database).

The walks read the app's source: every action some code records, and every
"shows" a route declares, must come out as words in the viewer.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

import clinic
from clinic.audit.actions import ACTIONS, describe
from clinic.clinical.sections import SECTIONS

SOURCE = Path(clinic.__file__).parent


def constants(node: ast.AST) -> list[str]:
    """The strings an argument can be: "a", or "a" if x else "b"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return constants(node.body) + constants(node.orelse)
    return []


@lru_cache(maxsize=1)
def parsed_source() -> tuple[ast.Module, ...]:
    texts = {path: path.read_text() for path in sorted(SOURCE.rglob("*.py"))}
    # Only modules that can record or declare anything (parsing all of them is slow).
    return tuple(ast.parse(text, str(path)) for path, text in texts.items()
                 if any(word in text for word in ("record(", "audit_action", '"shows"')))


def source_nodes():
    for tree in parsed_source():
        yield from ast.walk(tree)


def recorded_actions() -> set[str]:
    """First arguments of record(...) calls, route opts' audit_action and its default."""
    actions = set()
    for node in source_nodes():
        if isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "record":
                actions.update(constants(node.args[0]))
            if name == "get" and constants(node.args[0]) == ["audit_action"] and len(node.args) > 1:
                actions.update(constants(node.args[1]))
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if key is not None and constants(key) == ["audit_action"]:
                    actions.update(constants(value))
    return actions


def declared_reads() -> set[str]:
    """Every "shows" of a route that records a read, with {section_key} filled in for each section."""
    shows = set()
    for node in source_nodes():
        if isinstance(node, ast.Dict):
            opt = {constants(key)[0]: constants(value) for key, value in zip(node.keys, node.values)
                   if key is not None and constants(key)}
            if opt.get("audit_action", ["patient.read"]) == ["patient.read"]:
                for template in opt.get("shows", []):
                    # Other placeholders (a visit's id) read as an example value.
                    shows.update(template.format_map(defaultdict(lambda: "12", section_key=section))
                                 for section in SECTIONS)
    return shows


def test_an_action_reads_as_what_was_done():
    assert describe("auth.login") == "Signed in"
    assert describe("patient.merge") == "Merged a duplicate record into this one"


def test_a_read_says_what_was_seen():
    assert describe("patient.read", "chart") == "Viewed the chart"
    assert describe("patient.read", "edit form") == "Viewed the details form"
    assert describe("patient.read", "immunizations") == "Viewed the immunisations"


def test_a_read_of_one_entry_names_its_section():
    assert describe("patient.read", "allergies entry") == "Viewed an entry in the allergies"
    assert describe("patient.read", "vitals entry") == "Viewed an entry in the vital signs"


def test_a_read_without_a_detail_viewed_the_record():
    assert describe("patient.read") == "Viewed the record"


def test_a_read_of_something_new_still_says_what_it_was():
    assert describe("patient.read", "growth chart") == "Viewed growth chart"


def test_the_detail_of_other_actions_is_not_part_of_the_sentence():
    assert describe("clinical.status", "entered_in_error") == "Changed the status of a chart entry"


def test_an_action_without_words_shows_its_code_so_nothing_is_hidden():
    assert describe("test.viewer_probe", "x") == "test.viewer_probe"


def test_the_walk_finds_what_the_code_records():
    found = recorded_actions()
    # Plain calls, a choice of two, and the access dependency's default read.
    assert {"auth.login", "staff.deactivate", "staff.reactivate", "patient.read", "patient.export"} <= found


def test_every_action_the_code_records_has_words():
    assert sorted(recorded_actions() - set(ACTIONS)) == []


def test_every_described_action_is_still_recorded_somewhere():
    assert sorted(set(ACTIONS) - recorded_actions()) == []


def test_every_read_a_route_declares_reads_as_a_sentence():
    reads = declared_reads()
    assert {"chart", "allergies", "vitals entry", "problems entry"} <= reads and "json" not in reads
    for detail in reads:
        # Each one has words of its own, never the bare code ("Viewed allergies entry").
        assert describe("patient.read", detail) != f"Viewed {detail}", detail


@pytest.mark.parametrize("detail", ["json", "fhir"])
def test_an_export_is_described_by_its_action_not_as_a_read(detail):
    assert describe("patient.export", detail) == "Exported the complete record"
