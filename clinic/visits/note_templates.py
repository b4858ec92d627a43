"""Note templates: administrators and doctors define the sections a visit's note starts from."""

from __future__ import annotations

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.errors import IntegrityViolation
from clinic.visits.notes import SOAP, outline_of, parse_outline, sections_from_json, sections_to_json
from clinic.visits.tables import NoteTemplate


class TemplateNotFound(LookupError):
    pass


class TemplateConflict(Exception):
    """Someone saved the template since this form was opened."""


async def templates(*, active_only: bool = False) -> list[dict]:
    query = NoteTemplate.select(NoteTemplate.id, NoteTemplate.name, NoteTemplate.visit_type, NoteTemplate.active,
                                NoteTemplate.sections, NoteTemplate.version)
    if active_only:
        query = query.where(NoteTemplate.active == True)  # noqa: E712
    rows = await query.order_by(NoteTemplate.name)
    for row in rows:
        row["section_titles"] = [section.title for section in sections_from_json(row["sections"])]
    return rows


async def template(template_id: int) -> dict:
    row = await NoteTemplate.select().where(NoteTemplate.id == template_id).first()
    if row is None:
        raise TemplateNotFound(template_id)
    row["outline"] = outline_of(sections_from_json(row["sections"]))
    return row


def default_outline() -> str:
    return outline_of(list(SOAP))


def _clean(values: dict) -> tuple[str, str, str, bool]:
    name = " ".join(str(values.get("name", "")).split())
    visit_type = " ".join(str(values.get("visit_type", "")).split())
    errors = {}
    if not name:
        errors["name"] = "Enter the name."
    elif len(name) > 80:
        errors["name"] = "Use at most 80 characters."
    if len(visit_type) > 80:
        errors["visit_type"] = "Use at most 80 characters."
    outline = str(values.get("outline", ""))
    if len(outline) > 20000:
        errors["outline"] = "Use at most 20000 characters."
    sections = None
    if "outline" not in errors:
        try:
            sections = parse_outline(outline)
        except Invalid as invalid:
            errors.update(invalid.errors)
    if errors:
        raise Invalid(errors)
    active = str(values.get("active", "")) in ("1", "on", "true")
    return name, visit_type, sections_to_json(sections), active


async def create_template(values: dict, actor: Actor) -> int:
    name, visit_type, sections, _ = _clean(values)
    engine = NoteTemplate._meta.db
    now = clock.now()
    try:
        async with engine.transaction():
            rows = await NoteTemplate.insert(NoteTemplate(name=name, visit_type=visit_type, sections=sections,
                                                          active=True, created_by=actor.staff_id, created_at=now,
                                                          updated_at=now, version=1))
            await record("notes.template_create", actor, entity_type="note_template", entity_id=rows[0]["id"])
    except IntegrityViolation:
        raise Invalid({"name": "A template with this name exists already."}) from None
    return rows[0]["id"]


async def update_template(template_id: int, values: dict, version: int, actor: Actor) -> None:
    name, visit_type, sections, active = _clean(values)
    engine = NoteTemplate._meta.db
    try:
        async with engine.transaction():
            current = await NoteTemplate.select(NoteTemplate.version).where(NoteTemplate.id == template_id).first()
            if current is None:
                raise TemplateNotFound(template_id)
            if current["version"] != version:
                raise TemplateConflict()
            await NoteTemplate.update({
                NoteTemplate.name: name, NoteTemplate.visit_type: visit_type, NoteTemplate.sections: sections,
                NoteTemplate.active: active, NoteTemplate.updated_at: clock.now(),
                NoteTemplate.version: version + 1,
            }).where(NoteTemplate.id == template_id)
            await record("notes.template_update", actor, entity_type="note_template", entity_id=template_id)
    except IntegrityViolation:
        raise Invalid({"name": "A template with this name exists already."}) from None
