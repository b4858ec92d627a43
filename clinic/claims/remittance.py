"""835 remittance import: the payer's payments and adjustments posted to claims and their invoices.

A file is imported once: its hash and its payment trace number (TRN02) are unique, and a file seen
before is refused before anything is posted. Each service line must balance (paid + adjustments,
patient responsibility among them, = charge); one that does not, or that names a claim or code we
cannot match, goes to the exceptions queue with the reason instead of being posted. Unknown
adjustment (CARC) and remark (RARC) codes are posted and reported as warnings.

Posting goes through billing's services: the payer's payment (``record_payment``, method
insurance), then what the payer will not pay of the insurance part, written off (contractual) or
moved to the patient (patient responsibility beyond what the invoice already asked of them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from clinic.audit.services import Actor, record
from clinic.billing import invoices as billing_invoices
from clinic.billing.corrections import settle_insurance
from clinic.billing.payments import record_payment
from clinic.claims import x12
from clinic.claims.services import STATES
from clinic.claims.tables import Claim, ClaimEvent, ClaimLine, Remittance, RemittanceException
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.transactions import for_update

# Claim adjustment reason codes (CARC) and remittance remark codes (RARC) this clinic has met; others
# are posted all the same and reported, since payers add codes faster than anyone updates a list.
KNOWN_CARC = {"1", "2", "3", "4", "5", "6", "11", "16", "18", "22", "23", "26", "27", "29", "31", "45", "50", "96",
              "97", "109", "119", "129", "140", "146", "151", "167", "170", "181", "197", "204", "222", "234",
              "242", "253", "B7", "B9"}
KNOWN_RARC = {"M15", "M20", "M51", "M76", "M80", "MA01", "MA04", "MA07", "MA18", "MA130", "N4", "N20", "N56",
              "N130", "N180", "N290", "N362", "N381", "N425", "N432", "N522", "N620"}
GROUPS = {"CO", "PR", "OA", "PI", "CR"}
PAYABLE_STATES = ("submitted", "accepted", "partially_paid")


@dataclass
class Adjustment:
    group: str
    reason: str
    amount: int


@dataclass
class RemitLine:
    code: str
    modifier: str
    charge: int
    paid: int
    units: int = 1
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    @property
    def adjusted(self) -> int:
        return sum(a.amount for a in self.adjustments)

    @property
    def patient_responsibility(self) -> int:
        return sum(a.amount for a in self.adjustments if a.group == "PR")

    @property
    def balances(self) -> bool:
        return self.paid + self.adjusted == self.charge


@dataclass
class RemitClaim:
    claim_number: str
    status: str
    charge: int
    paid: int
    patient_responsibility: int
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[RemitLine] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass
class Remit:
    trace_number: str = ""
    payer_name: str = ""
    total_paid: int = 0
    claims: list[RemitClaim] = field(default_factory=list)


def _adjustments(elements: list[str]) -> list[Adjustment]:
    """CAS*group*reason*amount*quantity*reason*amount*quantity... (up to six triples)."""
    group = elements[1] if len(elements) > 1 else ""
    found = []
    for start in range(2, len(elements), 3):
        reason = elements[start] if start < len(elements) else ""
        text = elements[start + 1] if start + 1 < len(elements) else ""
        if reason and text:
            found.append(Adjustment(group, reason, x12.parse_amount(text)))
    return found


def parse_835(text: str) -> Remit:
    """The parts of an 835 that posting needs; raises Invalid when it is not a readable 835."""
    try:
        segments = x12.split_segments(text)
    except ValueError:
        raise Invalid({"file": "This is not an X12 file."}) from None
    if not any(s[0] == "ST" and len(s) > 1 and s[1] == "835" for s in segments):
        raise Invalid({"file": "This X12 file is not an 835 remittance."})
    remit = Remit()
    claim: RemitClaim | None = None
    line: RemitLine | None = None
    try:
        for s in segments:
            tag = s[0]
            if tag == "BPR":
                remit.total_paid = x12.parse_amount(s[2])
            elif tag == "TRN" and not remit.trace_number:
                remit.trace_number = s[2]
            elif tag == "N1" and len(s) > 2 and s[1] == "PR":
                remit.payer_name = s[2]
            elif tag == "CLP":
                claim = RemitClaim(claim_number=s[1], status=s[2], charge=x12.parse_amount(s[3]),
                                   paid=x12.parse_amount(s[4]),
                                   patient_responsibility=x12.parse_amount(s[5]) if len(s) > 5 and s[5] else 0)
                remit.claims.append(claim)
                line = None
            elif tag == "SVC" and claim is not None:
                parts = s[1].split(s[1][2]) if len(s[1]) > 2 and not s[1][2].isalnum() else [s[1]]
                line = RemitLine(code=parts[1] if len(parts) > 1 else parts[0],
                                 modifier=parts[2] if len(parts) > 2 else "",
                                 charge=x12.parse_amount(s[2]), paid=x12.parse_amount(s[3]),
                                 units=int(s[5]) if len(s) > 5 and s[5].isdigit() else 1)
                claim.lines.append(line)
            elif tag == "CAS" and claim is not None:
                (line.adjustments if line else claim.adjustments).extend(_adjustments(s))
            elif tag == "LQ" and len(s) > 2 and line is not None:
                line.remarks.append(s[2])
            elif tag in ("MOA", "MIA") and claim is not None:
                claim.remarks.extend(code for code in s[3:] if code and not code[0].isdigit())
    except (ValueError, IndexError):
        raise Invalid({"file": "This 835 has a segment we cannot read."}) from None
    if not remit.trace_number:
        raise Invalid({"file": "This 835 has no payment trace number (TRN)."})
    return remit


def unknown_codes(remit: Remit) -> list[str]:
    warnings = []
    for claim in remit.claims:
        adjustments = claim.adjustments + [a for line in claim.lines for a in line.adjustments]
        remarks = claim.remarks + [r for line in claim.lines for r in line.remarks]
        for adjustment in adjustments:
            if adjustment.group not in GROUPS:
                warnings.append(f"Claim {claim.claim_number}: unknown adjustment group {adjustment.group}")
            elif adjustment.reason not in KNOWN_CARC:
                warnings.append(f"Claim {claim.claim_number}: unknown adjustment reason {adjustment.group}-"
                                f"{adjustment.reason}")
        warnings += [f"Claim {claim.claim_number}: unknown remark code {code}" for code in remarks
                     if code not in KNOWN_RARC]
    return warnings


def _match_lines(claim_lines: list[dict], remit_lines: list[RemitLine]) -> list[tuple[RemitLine, dict | None]]:
    """Each remittance line with the claim line it pays: same code and modifier, else the same code
    (payers drop modifiers), each claim line used once."""
    free = list(claim_lines)
    pairs = []
    for remit_line in remit_lines:
        found = next((row for row in free if row["code"] == remit_line.code and row["modifier"] == remit_line.modifier),
                     None) or next((row for row in free if row["code"] == remit_line.code), None)
        if found:
            free.remove(found)
        pairs.append((remit_line, found))
    return pairs


async def import_835(text: str, actor: Actor) -> dict:
    """Post an 835; returns the remittance row with ``warnings`` and counts."""
    file_hash = hashlib.sha256(text.encode()).hexdigest()
    remit = parse_835(text)
    warnings = unknown_codes(remit)
    engine = Remittance._meta.db
    async with engine.transaction():
        seen = await Remittance.select(Remittance.id).where(
            (Remittance.file_hash == file_hash) | (Remittance.trace_number == remit.trace_number[:80])).first()
        if seen:
            raise Invalid({"file": "This remittance was imported already; nothing was posted again."})
        rows = await Remittance.insert(Remittance(
            file_hash=file_hash, trace_number=remit.trace_number[:80], payer_name=remit.payer_name[:120],
            payment_total=remit.total_paid, imported_at=clock.now(), imported_by=actor.staff_id))
        remittance_id = rows[0]["id"]
        posted = exceptions = 0
        for remit_claim in remit.claims:
            reasons = await _post_claim(remittance_id, remit, remit_claim, actor)
            posted += reasons[0]
            exceptions += reasons[1]
        await Remittance.update({Remittance.lines_posted: posted, Remittance.exceptions: exceptions,
                                 Remittance.warnings: "\n".join(warnings)}).where(Remittance.id == remittance_id)
        await record("claims.remittance", actor, entity_type="remittance", entity_id=remittance_id,
                     detail=f"trace {remit.trace_number[:40]}: {posted} lines posted, {exceptions} exceptions")
    return {"id": remittance_id, "posted": posted, "exceptions": exceptions, "warnings": warnings,
            "trace_number": remit.trace_number}


async def _exception(remittance_id: int, claim_number: str, reason: str, *, code: str = "", charge: int = 0,
                     paid: int = 0) -> None:
    await RemittanceException.insert(RemittanceException(
        remittance=remittance_id, claim_number=claim_number[:40], code=code[:20], charge=charge, paid=paid,
        reason=reason[:300], created_at=clock.now()))


async def _post_claim(remittance_id: int, remit: Remit, remit_claim: RemitClaim, actor: Actor) -> tuple[int, int]:
    """Post one CLP; returns (lines posted, exceptions)."""
    number = remit_claim.claim_number
    claim = None
    if number.isdigit():
        claim = await for_update(Claim.select().where(Claim.number == int(number))).first()
    if claim is None:
        await _exception(remittance_id, number, "No claim with this number.", charge=remit_claim.charge,
                         paid=remit_claim.paid)
        return 0, 1
    if claim["state"] not in PAYABLE_STATES:
        await _exception(remittance_id, number, f"The claim is {STATES[claim['state']].lower()}; nothing posted.",
                         charge=remit_claim.charge, paid=remit_claim.paid)
        return 0, 1
    claim_lines = await ClaimLine.select().where(ClaimLine.claim == claim["id"]).order_by(ClaimLine.position)
    remit_lines = remit_claim.lines or [RemitLine(
        code="", modifier="", charge=remit_claim.charge, paid=remit_claim.paid, adjustments=remit_claim.adjustments)]
    good: list[tuple[RemitLine, dict | None]] = []
    exceptions = 0
    pairs = _match_lines(claim_lines, remit_lines) if remit_claim.lines else [(remit_lines[0], None)]
    for remit_line, claim_line in pairs:
        if remit_claim.lines and claim_line is None:
            await _exception(remittance_id, number, f"No line {remit_line.code} on this claim.", code=remit_line.code,
                             charge=remit_line.charge, paid=remit_line.paid)
            exceptions += 1
        elif not remit_line.balances:
            await _exception(remittance_id, number, (
                f"Does not balance: paid {x12.amount(remit_line.paid)} + adjustments "
                f"{x12.amount(remit_line.adjusted)} is not the charge {x12.amount(remit_line.charge)}."),
                code=remit_line.code, charge=remit_line.charge, paid=remit_line.paid)
            exceptions += 1
        else:
            good.append((remit_line, claim_line))
    if not good:
        return 0, exceptions
    paid = sum(line.paid for line, _ in good)
    patient_part = sum(line.patient_responsibility for line, _ in good)
    contractual = sum(line.adjusted for line, _ in good) - patient_part
    invoice = await billing_invoices.get_invoice(claim["invoice"])
    open_part = invoice["insurance_open"] if invoice["state"] in billing_invoices.OPEN_STATES else 0
    # What the payer says the patient owes, beyond what the invoice already asks of them.
    to_patient = max(claim["patient_responsibility"] + patient_part - invoice["patient_share"], 0)
    write_off = min(contractual, max(open_part - paid - to_patient, 0))
    if paid + to_patient > open_part:
        await _exception(remittance_id, number, (
            f"Paid {x12.amount(paid)} and patient responsibility {x12.amount(to_patient)} are more than the "
            f"insurance part still open on invoice {invoice['number']} ({x12.amount(open_part)})."),
            charge=sum(line.charge for line, _ in good), paid=paid)
        return 0, exceptions + 1
    if paid:
        await record_payment(claim["patient"], paid, "insurance", actor, invoice_id=claim["invoice"],
                             reference=f"835 {remit.trace_number}"[:80])
    if to_patient or write_off:
        codes = sorted({f"{a.group}-{a.reason}" for line, _ in good for a in line.adjustments})
        await settle_insurance(claim["invoice"], actor, to_patient=to_patient, write_off=write_off,
                               reason=f"Remittance {remit.trace_number[:40]} {' '.join(codes)}"[:300])
    for remit_line, claim_line in good:
        if claim_line is not None:
            await ClaimLine.update({
                ClaimLine.paid: claim_line["paid"] + remit_line.paid,
                ClaimLine.adjusted: claim_line["adjusted"] + remit_line.adjusted - remit_line.patient_responsibility,
                ClaimLine.patient_responsibility: claim_line["patient_responsibility"]
                + remit_line.patient_responsibility}).where(ClaimLine.id == claim_line["id"])
    await _settle_claim_state(claim, remit_claim, good, paid, patient_part, contractual, actor)
    return len(good), exceptions


async def _settle_claim_state(claim: dict, remit_claim: RemitClaim, good: list, paid: int, patient_part: int,
                              contractual: int, actor: Actor) -> None:
    codes = ",".join(sorted({f"{a.group}-{a.reason}" for line, _ in good for a in line.adjustments}))
    now = clock.now()
    state = claim["state"]
    if state == "submitted":
        await ClaimEvent.insert(ClaimEvent(claim=claim["id"], from_state=state, to_state="accepted",
                                           note="remittance received", occurred_at=now, staff=actor.staff_id))
        state = "accepted"
    invoice = await billing_invoices.get_invoice(claim["invoice"])
    if remit_claim.status == "4" or (paid == 0 and claim["paid"] == 0 and state == "accepted"):
        new_state = "denied"
    elif invoice["insurance_open"] <= 0:
        new_state = "paid"
    else:
        new_state = "partially_paid"
    if new_state == "denied" and state != "accepted":
        new_state = state  # a later denial of a partly paid claim: keep it, the exception says why
    changes = {Claim.paid: claim["paid"] + paid, Claim.adjusted: claim["adjusted"] + contractual,
               Claim.patient_responsibility: claim["patient_responsibility"] + patient_part, Claim.state: new_state,
               Claim.version: Claim.version + 1, Claim.updated_at: now}
    if new_state == "denied":
        changes[Claim.denial_codes] = codes[:200]
    await Claim.update(changes).where(Claim.id == claim["id"])
    if new_state != state:
        await ClaimEvent.insert(ClaimEvent(claim=claim["id"], from_state=state, to_state=new_state, codes=codes[:200],
                                           note="remittance", occurred_at=now, staff=actor.staff_id))


async def open_exceptions(limit: int = 100) -> list[dict]:
    return await RemittanceException.select().where(RemittanceException.resolved == False).order_by(  # noqa: E712
        RemittanceException.id, ascending=False).limit(limit)


async def resolve_exception(exception_id: int, actor: Actor) -> None:
    async with RemittanceException._meta.db.transaction():
        row = await for_update(RemittanceException.select().where(RemittanceException.id == exception_id)).first()
        if row is None or row["resolved"]:
            raise Invalid({"_": "This exception is resolved already."})
        await RemittanceException.update({RemittanceException.resolved: True}).where(
            RemittanceException.id == exception_id)
        await record("claims.exception_resolve", actor, entity_type="remittance_exception", entity_id=exception_id)


async def recent_remittances(limit: int = 20) -> list[dict]:
    return await Remittance.select(Remittance.id, Remittance.trace_number, Remittance.payer_name,
                                   Remittance.payment_total, Remittance.lines_posted, Remittance.exceptions,
                                   Remittance.warnings, Remittance.imported_at).order_by(
        Remittance.id, ascending=False).limit(limit)
