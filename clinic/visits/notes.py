"""What a visit note is made of: sections from a template (SOAP by default), and templates' own rules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from clinic.core.errors import Invalid

MAX_SECTIONS = 12
MAX_SECTION_TEXT = 20000


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    prompt: str = ""
    text: str = ""  # default text the note starts with


SOAP = (
    SectionSpec("subjective", "Subjective", "What the patient reports: complaint, history of the present illness."),
    SectionSpec("objective", "Objective", "Examination findings, results."),
    SectionSpec("assessment", "Assessment", "Your impression and the diagnoses."),
    SectionSpec("plan", "Plan", "Treatment, tests ordered, advice, follow-up."),
)


def key_of(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:30] or "section"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


def sections_from_json(text: str) -> list[SectionSpec]:
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return list(SOAP)
    return [SectionSpec(str(item.get("key", "")), str(item.get("title", "")), str(item.get("prompt", "")),
                        str(item.get("text", ""))) for item in items if isinstance(item, dict)] or list(SOAP)


def sections_to_json(sections: list[SectionSpec]) -> str:
    return json.dumps([{"key": s.key, "title": s.title, "prompt": s.prompt, "text": s.text} for s in sections])


def parse_outline(outline: str) -> list[SectionSpec]:
    """The template screen's one text box: a section per block, starting ``## Title``; an optional
    ``? prompt`` line; the rest is the text the section starts with.

        ## Subjective
        ? What the patient reports
        Presenting complaint:
    """
    sections: list[SectionSpec] = []
    current: dict | None = None
    taken: set[str] = set()
    for line in (outline or "").replace("\r\n", "\n").split("\n"):
        if line.startswith("##"):
            if current:
                sections.append(_finish(current, taken))
            current = {"title": line.lstrip("#").strip(), "prompt": "", "text": []}
        elif current is None:
            if line.strip():
                raise Invalid({"outline": "Start each section with a line such as “## Subjective”."})
        elif line.startswith("?") and not current["prompt"] and not current["text"]:
            current["prompt"] = line[1:].strip()[:300]
        else:
            current["text"].append(line)
    if current:
        sections.append(_finish(current, taken))
    if not sections:
        raise Invalid({"outline": "Add at least one section, such as “## Subjective”."})
    if len(sections) > MAX_SECTIONS:
        raise Invalid({"outline": f"Use at most {MAX_SECTIONS} sections."})
    for section in sections:
        if not section.title or len(section.title) > 80:
            raise Invalid({"outline": "Give every section a title of at most 80 characters."})
    return sections


def _finish(current: dict, taken: set[str]) -> SectionSpec:
    key = key_of(current["title"], taken)
    taken.add(key)
    return SectionSpec(key, current["title"], current["prompt"], "\n".join(current["text"]).strip())


def outline_of(sections: list[SectionSpec]) -> str:
    blocks = []
    for section in sections:
        lines = [f"## {section.title}"]
        if section.prompt:
            lines.append(f"? {section.prompt}")
        if section.text:
            lines.append(section.text)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
