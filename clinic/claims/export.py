"""A batch of ready claims as one 837P file (and the same batch as CSV): the claims become submitted
and the file is kept, so the download can be fetched again without sending the claims twice."""

from __future__ import annotations

import csv
import datetime as dt
import io

from clinic.audit.services import Actor, record
from clinic.billing.numbering import take_number
from clinic.claims import queries, x12
from clinic.claims.payers import claim_settings, missing_identifiers
from clinic.claims.tables import Claim, ClaimBatch, ClaimDiagnosis, ClaimEvent, ClaimLine, Payer
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.transactions import for_update

SEXES = {"female": "F", "male": "M"}
MAX_CLAIMS = 200


async def _claim_unit(claim: dict, payer: dict) -> x12.ClaimUnit:
    patient = await queries.patient_for_claim(claim["patient"])
    policy = await queries.policy_for_claim(claim["policy"])
    lines = await ClaimLine.select().where(ClaimLine.claim == claim["id"]).order_by(ClaimLine.position)
    codes = tuple(row["code"] for row in await ClaimDiagnosis.select(ClaimDiagnosis.code).where(
        ClaimDiagnosis.claim == claim["id"]).order_by(ClaimDiagnosis.position))
    service_date = claim["service_date"] or claim["created_at"].date()
    pointers = tuple(range(1, min(len(codes), 4) + 1)) or (1,)
    address = None
    if patient["address_line1"] and patient["city"] and len(patient["region"] or "") == 2 and patient["postal_code"]:
        address = x12.Address(patient["address_line1"], patient["city"], patient["region"], patient["postal_code"])
    replaced = None
    if claim["replaces"]:
        replaced = await Claim.select(Claim.number).where(Claim.id == claim["replaces"]).first()
    return x12.ClaimUnit(
        subscriber=x12.Subscriber(
            last_name=patient["last_name"], first_name=patient["first_name"], member_id=policy["member_number"],
            birth_date=patient["date_of_birth"], sex=SEXES.get(patient["sex"], "U"), address=address,
            group_number=policy.get("group_number") or "", priority="S" if policy["priority"] == "secondary" else "P"),
        payer=x12.PayerName(payer["name"], payer["payer_code"]),
        claim=x12.ClaimInfo(
            claim_number=str(claim["number"]), diagnosis_codes=codes,
            lines=tuple(x12.ServiceLine(code=row["code"], charge=row["charge"], units=row["units"],
                                        service_date=service_date, diagnosis_pointers=pointers,
                                        modifier=row["modifier"]) for row in lines),
            frequency="7" if replaced else "1", original_reference=str(replaced["number"]) if replaced else ""))


async def build_837(claims: list[dict], control_number: int, created: dt.datetime) -> str:
    settings = await claim_settings()
    missing = missing_identifiers(settings)
    if missing:
        raise Invalid({"_": "Set the clinic's claim identifiers first: " + ", ".join(missing) + "."})
    clinic = await queries.clinic_profile()
    payers = {row["id"]: row for row in await Payer.select().where(
        Payer.id.is_in(list({claim["payer"] for claim in claims}) or [-1]))}
    units = tuple([await _claim_unit(claim, payers[claim["payer"]]) for claim in claims])
    transaction = x12.Transaction837(
        envelope=x12.Envelope(settings["submitter_id"], settings["receiver_id"], control_number, created,
                              test=settings["test_mode"]),
        submitter=x12.Submitter(clinic["name"], settings["submitter_id"], clinic["name"], settings["contact_phone"]),
        receiver=x12.Receiver(settings["receiver_name"], settings["receiver_id"]),
        billing_provider=x12.BillingProvider(clinic["name"], settings["billing_npi"], settings["tax_id"], x12.Address(
            clinic["address_line1"] or "Unknown", clinic["city"] or "Unknown", (clinic["region"] or "")[:2],
            clinic["postal_code"] or "")),
        claims=units)
    return transaction.render()


def batch_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["claim_number", "payer", "payer_id", "patient", "service_date", "line", "code", "units",
                     "charge", "diagnoses"])
    for row in rows:
        writer.writerow([row["claim_number"], row["payer"], row["payer_id"], row["patient"], row["service_date"],
                         row["line"], row["code"], row["units"], x12.amount(row["charge"]), row["diagnoses"]])
    return out.getvalue()


async def batch_rows(batch_id: int) -> list[dict]:
    """One row per claim line of the batch: what the CSV and the screen show."""
    claims = await Claim.select().where(Claim.batch == batch_id).order_by(Claim.number)
    payers = {row["id"]: row for row in await Payer.select()}
    names = await queries.patient_names({claim["patient"] for claim in claims})
    rows = []
    for claim in claims:
        codes = " ".join(row["code"] for row in await ClaimDiagnosis.select(ClaimDiagnosis.code).where(
            ClaimDiagnosis.claim == claim["id"]).order_by(ClaimDiagnosis.position))
        for line in await ClaimLine.select().where(ClaimLine.claim == claim["id"]).order_by(ClaimLine.position):
            payer = payers[claim["payer"]]
            rows.append({"claim_number": claim["number"], "payer": payer["name"], "payer_id": payer["payer_code"],
                         "patient": names.get(claim["patient"], ""), "service_date": claim["service_date"],
                         "line": line["position"], "code": line["code"], "units": line["units"],
                         "charge": line["charge"], "diagnoses": codes})
    return rows


async def export_batch(actor: Actor, claim_ids: list[int] | None = None) -> int:
    """Ready claims (those named, or all of them) into a new batch; they become submitted.
    Returns the batch id."""
    engine = Claim._meta.db
    async with engine.transaction():
        condition = Claim.state == "ready"
        if claim_ids is not None:
            condition &= Claim.id.is_in(list(claim_ids) or [-1])
        claims = await for_update(Claim.select().where(condition).order_by(Claim.number).limit(MAX_CLAIMS))
        if not claims:
            raise Invalid({"_": "There are no claims ready to submit."})
        control_number = await take_number("claim_batch")
        now = clock.now()
        content = await build_837(claims, control_number, now)
        rows = await ClaimBatch.insert(ClaimBatch(control_number=control_number, claim_count=len(claims),
                                                  total_charge=sum(claim["charge"] for claim in claims),
                                                  content=content, created_at=now, created_by=actor.staff_id))
        batch_id = rows[0]["id"]
        for claim in claims:
            await Claim.update({Claim.state: "submitted", Claim.batch: batch_id, Claim.submitted_at: now,
                                Claim.version: Claim.version + 1, Claim.updated_at: now}).where(Claim.id == claim["id"])
            await ClaimEvent.insert(ClaimEvent(claim=claim["id"], from_state="ready", to_state="submitted",
                                               note=f"batch {control_number}", occurred_at=now,
                                               staff=actor.staff_id))
        await record("claims.export", actor, entity_type="claim_batch", entity_id=batch_id,
                     detail=f"batch {control_number}: {len(claims)} claims")
    return batch_id


async def get_batch(batch_id: int) -> dict | None:
    return await ClaimBatch.select().where(ClaimBatch.id == batch_id).first()


async def recent_batches(limit: int = 20) -> list[dict]:
    return await ClaimBatch.select(ClaimBatch.id, ClaimBatch.control_number, ClaimBatch.claim_count,
                                   ClaimBatch.total_charge, ClaimBatch.created_at).order_by(
        ClaimBatch.id, ascending=False).limit(limit)
