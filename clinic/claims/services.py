"""Claims: made from an invoice's payer share, moved through their states, corrected and resubmitted.

States and the only changes allowed (``ALLOWED``); every change writes a claim event and an audit
entry in the same transaction as the claim. A denied claim is corrected by a new claim that
replaces it (sent as a replacement, frequency 7), or written off; nothing is ever deleted. A claim
not sent yet may be voided (and is, when its appointment is cancelled); one the payer has is flagged
instead. A claim the primary payer paid may be followed by a secondary claim to the next payer.
"""

from __future__ import annotations

import re

from clinic.audit.services import Actor, record
from clinic.billing.numbering import take_number
from clinic.claims import queries
from clinic.claims.payers import get_payer, payer_for_policy
from clinic.claims.tables import Claim, ClaimDiagnosis, ClaimEvent, ClaimLine
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.transactions import for_update
from clinic.scheduling import booking

STATES = {"draft": "Draft", "ready": "Ready to submit", "submitted": "Submitted", "accepted": "Accepted",
          "paid": "Paid", "partially_paid": "Partially paid", "denied": "Denied", "corrected": "Corrected",
          "written_off": "Written off", "void": "Void"}
ALLOWED = {
    "draft": ("ready", "void"),
    "ready": ("draft", "submitted", "void"),
    "submitted": ("accepted", "denied"),
    "accepted": ("paid", "partially_paid", "denied"),
    "partially_paid": ("paid", "written_off"),
    "denied": ("corrected", "written_off"),
    "paid": (),
    "corrected": (),
    "written_off": (),
    "void": (),
}
# A claim not sent yet is voided with its appointment; one the payer has is only flagged.
UNSENT_STATES = ("draft", "ready")
SENT_STATES = ("submitted", "accepted", "partially_paid", "denied", "paid")
# An invoice has one claim: another is made only to replace a corrected one.
LIVE_STATES = ("draft", "ready", "submitted", "accepted", "partially_paid", "denied", "paid", "written_off")
REASON_CODE = re.compile(r"^(CO|PR|OA|PI|CR)?-?[A-Z0-9]{1,5}$")


class ClaimNotFound(LookupError):
    pass


class NotAllowed(Invalid):
    def __init__(self, from_state: str, to_state: str):
        super().__init__({"_": f"A claim that is {STATES.get(from_state, from_state).lower()} cannot become "
                               f"{STATES.get(to_state, to_state).lower()}."})
        self.from_state, self.to_state = from_state, to_state


def can_change(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED.get(from_state, ())


def parse_reason_codes(text: str) -> list[str]:
    """"CO-45, pr 1" -> ["CO-45", "PR-1"]; raises Invalid on anything that is not a reason code."""
    codes = []
    text = re.sub(r"\b(CO|PR|OA|PI|CR)[\s-]+(?=[A-Z0-9])", r"\1-", (text or "").strip().upper())
    for part in re.split(r"[\s,;]+", text):
        if not part:
            continue
        if not REASON_CODE.fullmatch(part):
            raise Invalid({"codes": "Use reason codes such as CO-45 or PR-1, separated by commas."})
        match = re.fullmatch(r"(CO|PR|OA|PI|CR)-?(.+)", part)
        codes.append(f"{match.group(1)}-{match.group(2)}" if match else part)
    return codes[:10]


async def _locked_claim(claim_id: int) -> dict:
    row = await for_update(Claim.select().where(Claim.id == claim_id)).first()
    if row is None:
        raise ClaimNotFound(claim_id)
    return row


async def _event(claim_id: int, from_state: str, to_state: str, actor: Actor, *, codes: str = "",
                 note: str = "") -> None:
    await ClaimEvent.insert(ClaimEvent(claim=claim_id, from_state=from_state, to_state=to_state, codes=codes[:200],
                                       note=note[:300], occurred_at=clock.now(), staff=actor.staff_id))


async def create_claim(invoice_id: int, actor: Actor, *, payer_id: int | None = None,
                       replaces: int | None = None) -> int:
    """A draft claim for the payer share of an issued invoice; returns its id."""
    invoice = await queries.invoice_for_claim(invoice_id)
    if invoice is None or invoice["kind"] != "invoice" or invoice["state"] not in ("issued", "partially_paid", "paid"):
        raise Invalid({"invoice_id": "Choose an issued invoice."})
    if invoice["insurance_share"] <= 0 or not invoice["policy"]:
        raise Invalid({"invoice_id": "This invoice has no payer share to claim."})
    policy = await queries.policy_for_claim(invoice["policy"])
    if payer_id is None:
        payer = await payer_for_policy(policy)
        if payer is None:
            raise Invalid({"payer_id": f"No payer named {policy['payer_name']!r} is set up: add it on Payers."})
    else:
        payer = await get_payer(payer_id)
    if not payer["active"]:
        raise Invalid({"payer_id": "This payer is no longer active."})
    lines = [line for line in invoice["lines"] if line["total"] > 0]
    if not lines:
        raise Invalid({"invoice_id": "This invoice has no lines to claim."})
    service_date = invoice["service_date"] or invoice["issued_at"]
    engine = Claim._meta.db
    async with engine.transaction():
        # The number first: its counter row's lock makes claim creations take turns, so the check
        # below cannot race another creation (and no gap locks are taken on MySQL).
        number = await take_number("claim")
        live = await Claim.select(Claim.id, Claim.state).where(
            (Claim.invoice == invoice_id) & Claim.state.is_in(list(LIVE_STATES))
            & Claim.primary_claim.is_null()).first()
        if live is not None and live["id"] != replaces:
            raise Invalid({"invoice_id": "This invoice already has a claim in progress."})
        now = clock.now()
        rows = await Claim.insert(Claim(
            number=number, invoice=invoice_id, patient=invoice["patient"], payer=payer["id"], policy=policy["id"],
            provider=invoice["provider"], replaces=replaces, state="draft",
            charge=sum(line["total"] for line in lines), service_date=service_date.date() if service_date else None,
            created_at=now, created_by=actor.staff_id, updated_at=now))
        claim_id = rows[0]["id"]
        for position, line in enumerate(lines, start=1):
            await ClaimLine.insert(ClaimLine(claim=claim_id, invoice_line=line["id"], position=position,
                                             code=(line["code"] or "99499")[:20], description=line["description"],
                                             units=line["quantity"], charge=line["total"]))
        for position, diagnosis in enumerate(invoice["diagnoses"][:12], start=1):
            await ClaimDiagnosis.insert(ClaimDiagnosis(claim=claim_id, position=position, code=diagnosis["code"]))
        await _event(claim_id, "", "draft", actor, note=f"from invoice {invoice['number']}")
        await record("claims.create", actor, entity_type="claim", entity_id=claim_id, patient_id=invoice["patient"],
                     detail=f"claim {number} from invoice {invoice['number']}")
    return claim_id


ADJUDICATED = ("paid", "partially_paid")


async def secondary_policy_for(claim: dict) -> dict | None:
    """The patient's active secondary policy, when this claim went to the primary one."""
    policies = [row for row in await queries.policies_of(claim["patient"])
                if row["active"] and row["priority"] == "secondary" and row["id"] != claim["policy"]]
    return await queries.policy_for_claim(policies[0]["id"]) if policies else None


async def create_secondary_claim(primary_claim_id: int, actor: Actor, *, replaces: int | None = None) -> int:
    """A draft claim to the patient's secondary payer for what the primary payer adjudicated: the same
    lines and diagnoses, sent with the primary's payments and adjustments (2320/2430). Returns its id."""
    primary = await Claim.select().where(Claim.id == primary_claim_id).first()
    if primary is None:
        raise ClaimNotFound(primary_claim_id)
    if primary["primary_claim"] or primary["state"] not in ADJUDICATED:
        raise Invalid({"_": "A secondary claim follows a primary claim the payer has paid or partly paid."})
    policy = await secondary_policy_for(primary)
    if policy is None:
        raise Invalid({"_": "The patient has no active secondary policy."})
    payer = await payer_for_policy(policy)
    if payer is None:
        raise Invalid({"_": f"No payer named {policy['payer_name']!r} is set up: add it on Payers."})
    lines = await ClaimLine.select().where(ClaimLine.claim == primary_claim_id).order_by(ClaimLine.position)
    diagnoses = await ClaimDiagnosis.select().where(ClaimDiagnosis.claim == primary_claim_id).order_by(
        ClaimDiagnosis.position)
    engine = Claim._meta.db
    async with engine.transaction():
        number = await take_number("claim")
        live = await Claim.select(Claim.id).where(
            (Claim.primary_claim == primary_claim_id) & Claim.state.is_in(list(LIVE_STATES))).first()
        if live is not None and live["id"] != replaces:
            raise Invalid({"_": "This claim already has a secondary claim in progress."})
        now = clock.now()
        rows = await Claim.insert(Claim(
            number=number, invoice=primary["invoice"], patient=primary["patient"], payer=payer["id"],
            policy=policy["id"], provider=primary["provider"], replaces=replaces, primary_claim=primary_claim_id,
            state="draft", charge=sum(line["charge"] for line in lines), service_date=primary["service_date"],
            created_at=now, created_by=actor.staff_id, updated_at=now))
        claim_id = rows[0]["id"]
        for line in lines:
            await ClaimLine.insert(ClaimLine(claim=claim_id, invoice_line=line["invoice_line"],
                                             position=line["position"], code=line["code"], modifier=line["modifier"],
                                             description=line["description"], units=line["units"],
                                             charge=line["charge"]))
        for diagnosis in diagnoses:
            await ClaimDiagnosis.insert(ClaimDiagnosis(claim=claim_id, position=diagnosis["position"],
                                                       code=diagnosis["code"]))
        await _event(claim_id, "", "draft", actor, note=f"secondary to claim {primary['number']}")
        await record("claims.create", actor, entity_type="claim", entity_id=claim_id, patient_id=primary["patient"],
                     detail=f"claim {number} secondary to claim {primary['number']}")
    return claim_id


async def change_state(claim_id: int, to_state: str, actor: Actor, *, codes: str = "", note: str = "") -> dict:
    """Move a claim along ``ALLOWED``; a denial needs its reason codes, a write-off its reason."""
    reason_codes = parse_reason_codes(codes)
    note = " ".join((note or "").split())
    if len(note) > 300:
        raise Invalid({"note": "Use at most 300 characters."})
    engine = Claim._meta.db
    async with engine.transaction():
        claim = await _locked_claim(claim_id)
        if not can_change(claim["state"], to_state):
            raise NotAllowed(claim["state"], to_state)
        if to_state == "denied" and not reason_codes:
            raise Invalid({"codes": "Enter the payer's reason codes for the denial."})
        if to_state == "written_off" and not note:
            raise Invalid({"note": "Say why the claim is written off."})
        if to_state == "void" and not note:
            raise Invalid({"note": "Say why the claim is voided."})
        if to_state == "ready":
            await _check_complete(claim)
        changes = {Claim.state: to_state, Claim.version: Claim.version + 1, Claim.updated_at: clock.now()}
        if to_state == "denied":
            changes[Claim.denial_codes] = ",".join(reason_codes)
        if to_state == "submitted":
            changes[Claim.submitted_at] = clock.now()
        await Claim.update(changes).where(Claim.id == claim_id)
        await _event(claim_id, claim["state"], to_state, actor, codes=",".join(reason_codes), note=note)
        await record(f"claims.{to_state}", actor, entity_type="claim", entity_id=claim_id,
                     patient_id=claim["patient"], detail=f"claim {claim['number']}")
        claim["state"] = to_state
    return claim


async def _check_complete(claim: dict) -> None:
    problems = []
    if not await ClaimDiagnosis.exists().where(ClaimDiagnosis.claim == claim["id"]):
        problems.append("it has no diagnosis codes (add them to the visit)")
    if not await ClaimLine.exists().where(ClaimLine.claim == claim["id"]):
        problems.append("it has no service lines")
    policy = await queries.policy_for_claim(claim["policy"])
    if policy is None or not policy["member_number"]:
        problems.append("the policy has no member number")
    if problems:
        raise Invalid({"_": "Not ready: " + "; ".join(problems) + "."})


async def correct_and_resubmit(claim_id: int, actor: Actor, *, note: str = "") -> int:
    """A denied claim is marked corrected and a new draft replaces it; returns the new claim's id."""
    engine = Claim._meta.db
    async with engine.transaction():
        claim = await change_state(claim_id, "corrected", actor, note=note or "corrected and resubmitted")
        if claim["primary_claim"]:
            return await create_secondary_claim(claim["primary_claim"], actor, replaces=claim_id)
        return await create_claim(claim["invoice"], actor, payer_id=claim["payer"], replaces=claim_id)


async def get_claim(claim_id: int) -> dict:
    row = await Claim.select().where(Claim.id == claim_id).first()
    if row is None:
        raise ClaimNotFound(claim_id)
    row["state_label"] = STATES.get(row["state"], row["state"])
    row["lines"] = await ClaimLine.select().where(ClaimLine.claim == claim_id).order_by(ClaimLine.position)
    row["diagnoses"] = [r["code"] for r in await ClaimDiagnosis.select(ClaimDiagnosis.code).where(
        ClaimDiagnosis.claim == claim_id).order_by(ClaimDiagnosis.position)]
    row["events"] = await ClaimEvent.select().where(ClaimEvent.claim == claim_id).order_by(ClaimEvent.id)
    row["next_states"] = [(state, STATES[state]) for state in ALLOWED.get(row["state"], ())]
    return row


# A section shows its oldest claims first, a page of 25: the biller works from the top, and the
# page stays quick (every patient shown is written to the audit trail).
QUEUE_LIMIT = 25


async def _queued(state: str, condition=None) -> list[dict]:
    """One state's claims, oldest number first: read along the (state, number) index, at most a page."""
    where = Claim.state == state
    if condition is not None:
        where &= condition
    return await Claim.select().where(where).order_by(Claim.number).limit(QUEUE_LIMIT)


async def work_queue(waiting_days: int, now) -> dict[str, list[dict]]:
    """What needs the biller: claims to finish or submit, sent ones waiting too long, denials, partly
    paid ones, and sent ones flagged since (their appointment was cancelled)."""
    import datetime as dt

    cutoff = now - dt.timedelta(days=waiting_days)
    waiting = [*await _queued("submitted", Claim.submitted_at < cutoff),
               *await _queued("accepted", Claim.submitted_at < cutoff)]
    queue: dict[str, list[dict]] = {
        "draft": await _queued("draft"), "ready": await _queued("ready"), "denied": await _queued("denied"),
        "partially_paid": await _queued("partially_paid"),
        "waiting": sorted(waiting, key=lambda row: row["number"])[:QUEUE_LIMIT],
        # "> ''" rather than "!= ''": the flag's index serves a range, and nearly every claim has no flag.
        "attention": await Claim.select().where(Claim.attention > "").order_by(Claim.number).limit(QUEUE_LIMIT),
    }
    names = await queries.patient_names({row["patient"] for rows in queue.values() for row in rows})
    for rows in queue.values():
        for row in rows:
            row["patient_name"] = names.get(row["patient"], "")
            row["state_label"] = STATES[row["state"]]
    return queue


async def claimable_invoices() -> list[dict]:
    """Invoices with a payer share and no claim in progress (among the newest ones with a payer share)."""
    rows = await queries.invoices_with_payer_share()
    ids = [row["id"] for row in rows]
    live: set[int] = set()
    # In chunks: a long IN list against a young clinic's few claims makes MariaDB read them all.
    for start in range(0, len(ids), 25):
        live |= {row["invoice"] for row in await Claim.select(Claim.invoice).where(
            Claim.invoice.is_in(ids[start:start + 25]) & Claim.state.is_in(list(LIVE_STATES))
            & Claim.primary_claim.is_null())}
    rows = [row for row in rows if row["id"] not in live]
    names = await queries.patient_names({row["patient"] for row in rows})
    for row in rows:
        row["patient_name"] = names.get(row["patient"], "")
    return rows


# -- cancelled appointments and voided visits -------------------------------------------------


async def void_unsent(invoice_ids: list[int], reason: str, actor: Actor) -> dict[str, list[int]]:
    """The claims of these invoices: those not sent yet become void; those the payer already has
    are left as they are and flagged for the biller (a credit note or a corrected claim may follow).
    Returns {"voided": [...], "flagged": [...]} claim ids."""
    done: dict[str, list[int]] = {"voided": [], "flagged": []}
    if not invoice_ids:
        return done
    reason = " ".join((reason or "").split())[:200] or "Appointment cancelled"
    engine = Claim._meta.db
    async with engine.transaction():
        claims = await for_update(Claim.select().where(
            Claim.invoice.is_in(list(invoice_ids)) & Claim.state.is_in([*UNSENT_STATES, *SENT_STATES])).order_by(
            Claim.id))
        now = clock.now()
        for claim in claims:
            if claim["state"] in UNSENT_STATES:
                await Claim.update({Claim.state: "void", Claim.version: Claim.version + 1,
                                    Claim.updated_at: now}).where(Claim.id == claim["id"])
                await _event(claim["id"], claim["state"], "void", actor, note=reason)
                await record("claims.void", actor, entity_type="claim", entity_id=claim["id"],
                             patient_id=claim["patient"], detail=f"claim {claim['number']}")
                done["voided"].append(claim["id"])
            elif not claim["attention"]:
                attention = f"{reason} after the claim was sent: check it with the payer"[:200]
                await Claim.update({Claim.attention: attention, Claim.version: Claim.version + 1,
                                    Claim.updated_at: now}).where(Claim.id == claim["id"])
                await _event(claim["id"], claim["state"], claim["state"], actor, note=attention)
                await record("claims.flag", actor, entity_type="claim", entity_id=claim["id"],
                             patient_id=claim["patient"], detail=f"claim {claim['number']}")
                done["flagged"].append(claim["id"])
    return done


async def void_unsent_for_appointment(appointment_id: int, reason: str, actor: Actor) -> dict[str, list[int]]:
    return await void_unsent(await queries.invoices_of_appointment(appointment_id), reason, actor)


async def void_unsent_for_visit(visit_id: int, reason: str, actor: Actor) -> dict[str, list[int]]:
    return await void_unsent(await queries.invoices_of_visit(visit_id), reason, actor)


async def clear_attention(claim_id: int, actor: Actor) -> None:
    """The biller has dealt with a flagged claim."""
    async with Claim._meta.db.transaction():
        claim = await _locked_claim(claim_id)
        if not claim["attention"]:
            return
        await Claim.update({Claim.attention: "", Claim.version: Claim.version + 1,
                            Claim.updated_at: clock.now()}).where(Claim.id == claim_id)
        await _event(claim_id, claim["state"], claim["state"], actor, note="flag cleared")
        await record("claims.flag_clear", actor, entity_type="claim", entity_id=claim_id,
                     patient_id=claim["patient"], detail=f"claim {claim['number']}")


async def _follow_the_book(appointment_id: int, status: str, actor: Actor) -> None:
    """Inside the book's change: a cancelled appointment takes its unsent claims with it."""
    if status == "cancelled":
        await void_unsent_for_appointment(appointment_id, "Appointment cancelled", actor)


booking.on_status_changed(_follow_the_book)
