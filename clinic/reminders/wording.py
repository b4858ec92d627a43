"""What reminders say: the administrators' templates (or the built-in wording),
checked to use only the allowed placeholders, and filled in for one message."""

from __future__ import annotations

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.reminders.rules import DEFAULT_WORDING, TemplateProblem, Wording, fill, placeholders_in
from clinic.reminders.tables import ReminderTemplate

SUBJECT_LIMIT = 200
BODY_LIMIT = {"email": 4000, "sms": 480}


async def wordings() -> dict[tuple[str, str], Wording]:
    stored = {(row["channel"], row["kind"]): row for row in await ReminderTemplate.select()}
    result = {}
    for key, default in DEFAULT_WORDING.items():
        row = stored.get(key)
        result[key] = (Wording(key[0], key[1], row["subject"], row["body"], custom=True) if row else default)
    return result


async def wording(channel: str, kind: str) -> Wording:
    return (await wordings())[(channel, kind)]


def check_wording(channel: str, subject: str, body: str) -> dict[str, str]:
    errors = {}
    if channel == "email":
        if not subject.strip():
            errors["subject"] = "Enter a subject."
        elif len(subject) > SUBJECT_LIMIT or "\n" in subject:
            errors["subject"] = f"Keep the subject to one line of at most {SUBJECT_LIMIT} characters."
    if not body.strip():
        errors["body"] = "Enter the message."
    elif len(body) > BODY_LIMIT[channel]:
        errors["body"] = f"Keep the message to {BODY_LIMIT[channel]} characters."
    for name, text in (("subject", subject), ("body", body)):
        if name in errors:
            continue
        try:
            placeholders_in(text)
        except TemplateProblem as problem:
            errors[name] = str(problem)
    return errors


async def save_wording(channel: str, kind: str, subject: str, body: str, actor: Actor) -> None:
    if (channel, kind) not in DEFAULT_WORDING:
        raise Invalid({"channel": "Choose a message."})
    subject = subject.strip() if channel == "email" else ""
    body = body.replace("\r\n", "\n").strip()
    errors = check_wording(channel, subject, body)
    if errors:
        raise Invalid(errors)
    engine = ReminderTemplate._meta.db
    async with engine.transaction():
        existing = await ReminderTemplate.select(ReminderTemplate.id).where(
            (ReminderTemplate.channel == channel) & (ReminderTemplate.kind == kind)).first()
        values = {ReminderTemplate.subject: subject, ReminderTemplate.body: body,
                  ReminderTemplate.updated_at: clock.now(), ReminderTemplate.updated_by: actor.staff_id}
        if existing:
            await ReminderTemplate.update(values).where(ReminderTemplate.id == existing["id"])
        else:
            await ReminderTemplate.insert(ReminderTemplate(channel=channel, kind=kind, subject=subject, body=body,
                                                           updated_by=actor.staff_id))
        await record("reminders.template", actor, entity_type="reminder_template", entity_id=f"{channel}.{kind}")


async def reset_wording(channel: str, kind: str, actor: Actor) -> None:
    engine = ReminderTemplate._meta.db
    async with engine.transaction():
        await ReminderTemplate.delete().where((ReminderTemplate.channel == channel) & (ReminderTemplate.kind == kind))
        await record("reminders.template_reset", actor, entity_type="reminder_template",
                     entity_id=f"{channel}.{kind}")


def compose(text: str, values: dict[str, str]) -> str:
    return fill(text, values)
