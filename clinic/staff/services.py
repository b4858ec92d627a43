"""Managing staff accounts: who they are, their role, their access.

Accounts are never deleted (history must keep its author), only deactivated.
The clinic must always keep one active administrator: the last one cannot be
deactivated or given another role. Role changes and deactivation end the
person's sessions at once.
"""

from __future__ import annotations

import datetime as dt
import secrets

from email_validator import EmailNotValidError, validate_email

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import FormSpec, check
from clinic.core.paging import Page, page_bounds
from clinic.db.errors import IntegrityViolation
from clinic.db.transactions import for_update
from clinic.security import mfa, sessions, throttle
from clinic.security.passwords import hash_password, password_problem
from clinic.security.permissions import CLINICIAN_ROLES, Role, is_role
from clinic.security.tables import Staff
from clinic.staff.forms import COLOURS, STAFF_FORM

UTC = dt.timezone.utc
PAGE_SIZE = 25
SORTS = {
    "name": (Staff.full_name, True),
    "-name": (Staff.full_name, False),
    "role": (Staff.role, True),
    "-last_sign_in": (Staff.last_sign_in_at, False),
}
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"




async def list_staff(*, search: str = "", role: str = "", status: str = "active", sort: str = "name",
                     page: int = 1) -> Page:
    """Sort and filters come from allow-lists; nothing typed reaches SQL as SQL."""
    condition = Staff.id > 0
    if status == "active":
        condition &= Staff.active == True  # noqa: E712 (Piccolo needs ==)
    elif status == "inactive":
        condition &= Staff.active == False  # noqa: E712
    if role and is_role(role):
        condition &= Staff.role == role
    if search:
        needle = f"%{search.lower()}%"
        condition &= Staff.email_key.like(needle) | Staff.full_name.ilike(needle) | Staff.display_name.ilike(needle)
    column, ascending = SORTS.get(sort, SORTS["name"])
    total = await Staff.count().where(condition)
    page, pages, offset = page_bounds(page, total, PAGE_SIZE)
    rows = await (
        Staff.select(Staff.id, Staff.full_name, Staff.display_name, Staff.email, Staff.email_key, Staff.role,
                     Staff.colour, Staff.active, Staff.mfa_enabled, Staff.last_sign_in_at)
        .where(condition)
        .order_by(column, ascending=ascending)
        .order_by(Staff.id)
        .limit(PAGE_SIZE)
        .offset(offset)
    )
    pauses = await throttle.pauses_of([row["email_key"] for row in rows])
    for row in rows:
        row["pause"] = pauses[row["email_key"]]
    return Page(rows=rows, number=page, pages=pages, total=total)


async def get_staff(staff_id: int) -> dict | None:
    return await Staff.select().where(Staff.id == staff_id).first()


def temporary_password() -> str:
    """Shown once to the administrator; the person must change it at first sign-in."""
    raw = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _clean(values: dict, *, creating: bool) -> dict:
    spec = STAFF_FORM if creating else FormSpec(tuple(f for f in STAFF_FORM if f.name != "role"))
    clean, errors = check(spec, values)
    if clean["email"] and "email" not in errors:
        try:
            clean["email"] = validate_email(clean["email"], check_deliverability=False).normalized
        except EmailNotValidError as error:
            errors["email"] = f"Enter a valid email address ({error})."
    if errors:
        raise Invalid(errors)
    clean.setdefault("role", "")
    return clean


async def create_staff(values: dict, actor: Actor) -> tuple[int, str]:
    """A new account with a temporary password (returned, shown once)."""
    clean = _clean(values, creating=True)
    password = temporary_password()
    if clean["role"] not in CLINICIAN_ROLES:
        clean["colour"] = ""
    engine = Staff._meta.db
    try:
        async with engine.transaction():
            rows = await Staff.insert(
                Staff(
                    email=clean["email"], email_key=clean["email"].lower(), full_name=clean["full_name"],
                    display_name=clean["display_name"] or clean["full_name"].split()[0], role=clean["role"],
                    colour=clean["colour"] or (COLOURS[0] if clean["role"] in CLINICIAN_ROLES else ""),
                    licence_number=clean["licence_number"],
                    password_hash=hash_password(password), must_change_password=True,
                )
            )
            staff_id = rows[0]["id"]
            await record("staff.create", actor, entity_type="staff", entity_id=staff_id, detail=f"role {clean['role']}")
    except IntegrityViolation as violation:
        if violation.kind == IntegrityViolation.UNIQUE:
            raise Invalid({"email": "Someone on the staff already uses this email address."}) from None
        raise
    return staff_id, password


async def update_staff(staff_id: int, values: dict, actor: Actor) -> None:
    clean = _clean(values, creating=False)
    engine = Staff._meta.db
    try:
        async with engine.transaction():
            await Staff.update(
                {Staff.full_name: clean["full_name"], Staff.display_name: clean["display_name"],
                 Staff.email: clean["email"], Staff.email_key: clean["email"].lower(), Staff.colour: clean["colour"],
                 Staff.licence_number: clean["licence_number"], Staff.updated_at: clock.now()}
            ).where(Staff.id == staff_id)
            await record("staff.update", actor, entity_type="staff", entity_id=staff_id)
    except IntegrityViolation as violation:
        if violation.kind == IntegrityViolation.UNIQUE:
            raise Invalid({"email": "Someone on the staff already uses this email address."}) from None
        raise


async def set_colour(staff_id: int, colour: str, actor: Actor) -> None:
    """A provider's colour on the appointment book (set from the book's set-up screen)."""
    if colour not in COLOURS:
        raise Invalid({"colour": "Choose one of the colours."})
    engine = Staff._meta.db
    async with engine.transaction():
        await Staff.update({Staff.colour: colour, Staff.updated_at: clock.now()}).where(Staff.id == staff_id)
        await record("staff.update", actor, entity_type="staff", entity_id=staff_id, detail="colour")


class LastAdministrator(Exception):
    """The change would leave the clinic without an active administrator."""


async def _would_remove_last_admin(staff_id: int) -> bool:
    """Call inside a transaction: locks the administrators' rows while deciding."""
    admins = await for_update(
        Staff.select(Staff.id).where((Staff.role == Role.ADMIN.value) & (Staff.active == True))  # noqa: E712
    )
    ids = {row["id"] for row in admins}
    return ids == {staff_id}


async def change_role(staff_id: int, role: str, actor: Actor) -> None:
    if not is_role(role):
        raise Invalid({"role": "Choose a role."})
    engine = Staff._meta.db
    async with engine.transaction():
        current = await for_update(Staff.select(Staff.role).where(Staff.id == staff_id)).first()
        if current is None or current["role"] == role:
            return
        if current["role"] == Role.ADMIN and await _would_remove_last_admin(staff_id):
            raise LastAdministrator()
        changes = {Staff.role: role, Staff.updated_at: clock.now()}
        if role not in CLINICIAN_ROLES:
            changes[Staff.colour] = ""
        await Staff.update(changes).where(Staff.id == staff_id)
        await sessions.end_all(staff_id, "role changed")
        await record("staff.role_change", actor, entity_type="staff", entity_id=staff_id,
                     detail=f"{current['role']} -> {role}")


async def set_active(staff_id: int, active: bool, actor: Actor) -> None:
    engine = Staff._meta.db
    async with engine.transaction():
        current = await for_update(Staff.select(Staff.role, Staff.active).where(Staff.id == staff_id)).first()
        if current is None or current["active"] == active:
            return
        if not active and current["role"] == Role.ADMIN and await _would_remove_last_admin(staff_id):
            raise LastAdministrator()
        now = clock.now()
        await Staff.update(
            {Staff.active: active, Staff.deactivated_at: None if active else now, Staff.updated_at: now}
        ).where(Staff.id == staff_id)
        if not active:
            await sessions.end_all(staff_id, "deactivated")
        await record("staff.reactivate" if active else "staff.deactivate", actor, entity_type="staff",
                     entity_id=staff_id)


async def reset_password(staff_id: int, actor: Actor) -> str:
    password = temporary_password()
    engine = Staff._meta.db
    async with engine.transaction():
        await Staff.update(
            {Staff.password_hash: hash_password(password), Staff.must_change_password: True,
             Staff.updated_at: clock.now()}
        ).where(Staff.id == staff_id)
        await sessions.end_all(staff_id, "password reset")
        await record("staff.password_reset", actor, entity_type="staff", entity_id=staff_id)
    return password


async def reset_mfa(staff_id: int, actor: Actor) -> None:
    engine = Staff._meta.db
    async with engine.transaction():
        await mfa.disable(staff_id)
        await sessions.end_all(staff_id, "MFA reset")
        await record("staff.mfa_reset", actor, entity_type="staff", entity_id=staff_id)


async def unlock(staff_id: int, actor: Actor) -> None:
    """Lift every sign-in pause on the account: for everyone, and at each address."""
    staff = await Staff.select(Staff.email_key).where(Staff.id == staff_id).first()
    if staff:
        await throttle.unlock_account(staff["email_key"])
        await record("staff.unlock", actor, entity_type="staff", entity_id=staff_id)


async def unlock_by_email(email: str, actor: Actor) -> throttle.AccountPause | None:
    """For `clinic unlock`: what was paused (None: nobody has this email)."""
    staff = await Staff.select(Staff.id, Staff.email_key).where(Staff.email_key == email.strip().lower()).first()
    if staff is None:
        return None
    before = (await throttle.pauses_of([staff["email_key"]]))[staff["email_key"]]
    await unlock(staff["id"], actor)
    return before


async def sign_in_pause(staff_id: int) -> throttle.AccountPause:
    """The account's sign-in pauses now (for everyone, or at some client addresses)."""
    staff = await Staff.select(Staff.email_key).where(Staff.id == staff_id).first()
    if staff is None:
        return throttle.AccountPause()
    return (await throttle.pauses_of([staff["email_key"]]))[staff["email_key"]]


async def create_administrator(full_name: str, email: str, password: str, *, clinic_name: str = "") -> int:
    """For `clinic createadmin`: the first account, with a password the person chose."""
    clean = _clean({"full_name": full_name, "email": email, "role": Role.ADMIN.value}, creating=True)
    problem = password_problem(password, email=clean["email"], name=clean["full_name"], clinic_name=clinic_name)
    if problem:
        raise Invalid({"password": problem})
    try:
        rows = await Staff.insert(
            Staff(email=clean["email"], email_key=clean["email"].lower(), full_name=clean["full_name"],
                  display_name=clean["full_name"].split()[0], role=Role.ADMIN.value,
                  password_hash=hash_password(password), password_changed_at=clock.now())
        )
    except IntegrityViolation:
        raise Invalid({"email": "An account with this email address already exists."}) from None
    await record("staff.create", Actor.system("command line"), entity_type="staff", entity_id=rows[0]["id"],
                 detail="first administrator")
    return rows[0]["id"]
