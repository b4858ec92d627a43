"""Break-the-glass: reading a chart one's role does not normally allow.

The person gives a reason; access is granted for that one patient for a set
time (an hour by default), flagged in the audit trail, and listed for
administrators to review.
"""

from __future__ import annotations

import datetime as dt

from clinic.audit.services import Actor, record
from clinic.audit.tables import BreakGlassGrant
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.security.permissions import BREAK_GLASS_PERMISSIONS

UTC = dt.timezone.utc
MIN_REASON = 10


async def grant(staff_id: int, patient_id: int, permission: str, reason: str, minutes: int, actor: Actor) -> dt.datetime:
    reason = " ".join(reason.split())
    if permission not in BREAK_GLASS_PERMISSIONS:
        raise Invalid({"permission": "This access cannot be obtained by breaking the glass."})
    if len(reason) < MIN_REASON:
        raise Invalid({"reason": f"Say why you need access (at least {MIN_REASON} characters); it is reviewed."})
    now = clock.now()
    expires_at = now + dt.timedelta(minutes=minutes)
    engine = BreakGlassGrant._meta.db
    async with engine.transaction():
        rows = await BreakGlassGrant.insert(
            BreakGlassGrant(staff=staff_id, patient_id=patient_id, permission=permission, reason=reason[:500],
                            granted_at=now, expires_at=expires_at)
        )
        # The reason stays in break_glass_grant (admins review it); the audit
        # entry carries ids only.
        await record("patient.break_glass", actor, entity_type="break_glass", entity_id=rows[0]["id"],
                     patient_id=patient_id, outcome="break_glass", detail=permission)
    return expires_at


async def active_grant(staff_id: int, patient_id: int, permission: str) -> dt.datetime | None:
    row = await (
        BreakGlassGrant.select(BreakGlassGrant.expires_at)
        .where(
            (BreakGlassGrant.staff == staff_id) & (BreakGlassGrant.patient_id == patient_id)
            & (BreakGlassGrant.permission == permission) & (BreakGlassGrant.expires_at > clock.now())
        )
        .order_by(BreakGlassGrant.expires_at, ascending=False)
        .first()
    )
    return row["expires_at"] if row else None


async def recent_grants(limit: int = 100, offset: int = 0) -> list[dict]:
    return await (
        BreakGlassGrant.select(
            BreakGlassGrant.id, BreakGlassGrant.patient_id, BreakGlassGrant.permission, BreakGlassGrant.reason,
            BreakGlassGrant.granted_at, BreakGlassGrant.expires_at,
            BreakGlassGrant.staff.full_name.as_alias("staff_name"), BreakGlassGrant.staff.role.as_alias("staff_role"),
        )
        .order_by(BreakGlassGrant.granted_at, ascending=False)
        .limit(limit)
        .offset(offset)
    )


