"""Sign-in rules: passwords, throttling, the steps a session owes, password changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.security import sessions, throttle
from clinic.security.passwords import hash_password, needs_rehash, password_problem, verify_password
from clinic.security.permissions import Role
from clinic.security.tables import ClinicSetting, Staff

UTC = dt.timezone.utc
MFA_POLICY_KEY = "mfa_required_for"
MFA_ADMINS_ONLY = "admins"
MFA_EVERYONE = "everyone"
# Said the same way for an email nobody has: it never tells whether an account exists.
PAUSED = ("Signing in is paused for a few minutes after several failed attempts. Wait and try again, or ask "
          "your clinic's administrator to unlock it.")
GENERIC_FAILURE = (
    "That email and password did not work. After several failed attempts, signing in pauses for a few minutes."
)
# For someone already signed in (confirming identity, changing their password).
TOO_MANY_ATTEMPTS = "Too many failed attempts. Wait a few minutes and try again."


async def mfa_policy() -> str:
    row = await ClinicSetting.select(ClinicSetting.value).where(ClinicSetting.key == MFA_POLICY_KEY).first()
    return row["value"] if row and row["value"] in (MFA_ADMINS_ONLY, MFA_EVERYONE) else MFA_ADMINS_ONLY


async def set_mfa_policy(value: str, actor: Actor) -> None:
    if value not in (MFA_ADMINS_ONLY, MFA_EVERYONE):
        raise Invalid({"mfa_required_for": "Choose who must use two-step sign-in."})
    engine = ClinicSetting._meta.db
    async with engine.transaction():
        existing = await ClinicSetting.select(ClinicSetting.id).where(ClinicSetting.key == MFA_POLICY_KEY).first()
        now = clock.now()
        if existing:
            await ClinicSetting.update(
                {ClinicSetting.value: value, ClinicSetting.updated_at: now, ClinicSetting.updated_by: actor.staff_id}
            ).where(ClinicSetting.id == existing["id"])
        else:
            await ClinicSetting.insert(ClinicSetting(key=MFA_POLICY_KEY, value=value, updated_at=now,
                                                     updated_by=actor.staff_id))
        await record("security.mfa_policy", actor, entity_type="setting", entity_id=MFA_POLICY_KEY, detail=value)


async def mfa_required(role: str) -> bool:
    return role == Role.ADMIN or await mfa_policy() == MFA_EVERYONE


async def next_stage(staff_id: int, *, mfa_verified: bool) -> str:
    """The next step a signed-in session owes, or "active"."""
    staff = await Staff.select(Staff.role, Staff.mfa_enabled, Staff.must_change_password).where(
        Staff.id == staff_id
    ).first()
    if staff["mfa_enabled"] and not mfa_verified:
        return sessions.STAGE_MFA
    if staff["must_change_password"]:
        return sessions.STAGE_PASSWORD
    if not staff["mfa_enabled"] and await mfa_required(staff["role"]):
        return sessions.STAGE_MFA_ENROL
    return sessions.ACTIVE


@dataclass(frozen=True)
class SignInOutcome:
    token: str | None
    stage: str = ""
    message: str = ""
    role: str = ""  # where someone lands when they were going nowhere in particular (see home_for)


# The front desk lives in the appointment book: signing in without a page to go to lands there.
HOME_BY_ROLE = {Role.RECEPTIONIST: "/book"}


def home_for(role: str, next_path: str) -> str:
    return HOME_BY_ROLE.get(role, next_path) if next_path == "/" else next_path


async def sign_in(email: str, password: str, actor: Actor, policy: sessions.SessionPolicy) -> SignInOutcome:
    email_key = email.strip().lower()
    address = actor.client_address
    staff = await Staff.select(Staff.id, Staff.role, Staff.active, Staff.password_hash).where(
        Staff.email_key == email_key
    ).first() if email_key else None
    staff_id = staff["id"] if staff else None
    audit_actor = Actor(staff_id=staff_id, role=staff["role"] if staff else "",
                        client_address=actor.client_address, user_agent=actor.user_agent)

    if await throttle.password_paused(email_key, address):
        verify_password(None, password)  # same time as any other answer
        await record("auth.login_failed", audit_actor, entity_type="staff", entity_id=staff_id,
                     outcome="denied", detail="paused after repeated failures")
        return SignInOutcome(None, message=PAUSED)

    password_ok = verify_password(staff["password_hash"] if staff else None, password)
    if not (staff and staff["active"] and password_ok):
        paused = await throttle.note_wrong_password(email_key, address)
        reason = "unknown email" if not staff else "inactive account" if not staff["active"] else "wrong password"
        await record("auth.login_failed", audit_actor, entity_type="staff", entity_id=staff_id, outcome="failure",
                     detail=reason)
        return SignInOutcome(None, message=PAUSED if paused else GENERIC_FAILURE)

    await throttle.note_right_password(email_key, address)
    changes = {Staff.last_sign_in_at: clock.now()}
    if needs_rehash(staff["password_hash"]):
        changes[Staff.password_hash] = hash_password(password)
    await Staff.update(changes).where(Staff.id == staff_id)
    stage = await next_stage(staff_id, mfa_verified=False)
    token = await sessions.start_session(staff_id, stage=stage, policy=policy,
                                         client_address=actor.client_address, user_agent=actor.user_agent)
    await record("auth.login", audit_actor, entity_type="staff", entity_id=staff_id,
                 detail="signed in" if stage == sessions.ACTIVE else f"password accepted; next: {stage}")
    return SignInOutcome(token, stage=stage, role=staff["role"])


async def change_password(staff_id: int, current: str, new: str, confirm: str, actor: Actor, *,
                          clinic_name: str = "") -> None:
    staff = await Staff.select(Staff.email, Staff.email_key, Staff.full_name, Staff.password_hash).where(
        Staff.id == staff_id).first()
    # The current password is a credential like any other: its failures count
    # towards the same pauses as sign-in (a stolen session must not guess it).
    if await throttle.password_paused(staff["email_key"], actor.client_address):
        await record("auth.password_change_failed", actor, entity_type="staff", entity_id=staff_id,
                     outcome="denied", detail="paused after repeated failures")
        raise Invalid({"current_password": TOO_MANY_ATTEMPTS})
    errors = {}
    if not verify_password(staff["password_hash"], current):
        errors["current_password"] = "That is not your current password."
        await throttle.note_wrong_password(staff["email_key"], actor.client_address)
        await record("auth.password_change_failed", actor, entity_type="staff", entity_id=staff_id,
                     outcome="failure", detail="wrong current password")
    else:
        await throttle.note_right_password(staff["email_key"], actor.client_address)
    problem = password_problem(new, email=staff["email"], name=staff["full_name"], clinic_name=clinic_name)
    if problem:
        errors["new_password"] = problem
    elif new != confirm:
        errors["confirm_password"] = "The two new passwords are not the same."
    elif new == current:
        errors["new_password"] = "Choose a password you have not used here before."
    if errors:
        raise Invalid(errors)
    await Staff.update(
        {Staff.password_hash: hash_password(new), Staff.must_change_password: False,
         Staff.password_changed_at: clock.now()}
    ).where(Staff.id == staff_id)
    await record("auth.password_changed", actor, entity_type="staff", entity_id=staff_id)


STEP_PASSED, STEP_FAILED, STEP_PAUSED = "passed", "failed", "paused"


async def second_step(staff_id: int, code: str, recovery_code: str, keyring, recovery_key: bytes,
                      actor: Actor) -> str:
    """Check an authenticator or recovery code; five wrong ones pause this account's codes.

    The password throttle is cleared once the password is right, so codes get
    a counter of their own (per account, whatever the client address says).
    """
    from clinic.security import mfa

    key = throttle.code_key(staff_id)
    if await throttle.locked_until(key):
        await record("auth.mfa_failed", actor, entity_type="staff", entity_id=staff_id, outcome="denied",
                     detail="paused after repeated failures")
        return STEP_PAUSED
    if recovery_code:
        passed = await mfa.use_recovery_code(staff_id, recovery_code, recovery_key)
        if passed:
            left = await mfa.recovery_codes_left(staff_id)
            await record("auth.mfa_recovery_used", actor, entity_type="staff", entity_id=staff_id,
                         detail=f"{left} recovery codes left")
    else:
        passed = bool(code) and await mfa.accept_code(staff_id, code, keyring)
    kind = "recovery code" if recovery_code else "authenticator code"
    if passed:
        await throttle.clear(key)
        await record("auth.mfa_passed", actor, entity_type="staff", entity_id=staff_id, detail=kind)
        return STEP_PASSED
    paused = await throttle.note_failure(key, throttle.CODE_FREE_FAILURES)
    await record("auth.mfa_failed", actor, entity_type="staff", entity_id=staff_id, outcome="failure", detail=kind)
    return STEP_PAUSED if paused else STEP_FAILED


async def confirm_identity(staff_id: int, password: str, code: str, keyring, actor: Actor) -> None:
    """Re-authentication before sensitive actions: password, and a code if MFA is on."""
    from clinic.security import mfa

    staff = await Staff.select(Staff.password_hash, Staff.mfa_enabled, Staff.email_key).where(
        Staff.id == staff_id).first()
    email_key, address, code_key = staff["email_key"], actor.client_address, throttle.code_key(staff_id)
    errors = {}
    if await throttle.password_paused(email_key, address) or await throttle.locked_until(code_key):
        errors["password"] = TOO_MANY_ATTEMPTS
    elif not verify_password(staff["password_hash"], password):
        errors["password"] = "That is not your password."
        await throttle.note_wrong_password(email_key, address)
    elif staff["mfa_enabled"] and not await mfa.accept_code(staff_id, code, keyring):
        errors["code"] = "That code did not work. Use the current code from your authenticator app."
        await throttle.note_failure(code_key, throttle.CODE_FREE_FAILURES)
    if errors:
        await record("auth.confirm_failed", actor, entity_type="staff", entity_id=staff_id, outcome="failure")
        raise Invalid(errors)
    await throttle.note_right_password(email_key, address)
    await throttle.clear(code_key)
    await record("auth.confirmed", actor, entity_type="staff", entity_id=staff_id)
