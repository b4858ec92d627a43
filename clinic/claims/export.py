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


def _address(row: dict) -> x12.Address | None:
    if row["address_line1"] and row["city"] and len(row["region"] or "") == 2 and row["postal_code"]:
        return x12.Address(row["address_line1"], row["city"], row["region"], row["postal_code"])
    return None


def _subscriber(patient: dict, policy: dict) -> tuple[x12.Subscriber, x12.Dependent | None]:
    """The policy's subscriber (2000B) and, when that is someone else, the patient (2000C)."""
    priority = "S" if policy["priority"] == "secondary" else "P"
    group = policy.get("group_number") or ""
    address = _address(patient)
    if policy["subscriber_relation"] == "self" or not policy.get("subscriber_last_name"):
        return x12.Subscriber(
            last_name=patient["last_name"], first_name=patient["first_name"], member_id=policy["member_number"],
            birth_date=patient["date_of_birth"], sex=SEXES.get(patient["sex"], "U"), address=address,
            group_number=group, priority=priority), None
    if address is None or patient["date_of_birth"] is None:
        raise Invalid({"_": f"Patient {patient['mrn']} is not the policy holder: claims need their address "
                            "and date of birth. Add them to the patient's details."})
    subscriber = x12.Subscriber(
        last_name=policy["subscriber_last_name"], first_name=policy["subscriber_first_name"],
        member_id=policy["member_number"], birth_date=None, sex="U", address=None, group_number=group,
        priority=priority)
    dependent = x12.Dependent(x12.RELATIONSHIPS.get(policy["subscriber_relation"], "G8"), patient["last_name"],
                              patient["first_name"], patient["date_of_birth"], SEXES.get(patient["sex"], "U"),
                              address)
    return subscriber, dependent


async def _primary_adjudication(claim: dict, lines: list[dict], patient: dict) -> x12.OtherPayer:
    """What the primary payer did with this claim's lines (a secondary claim carries it, 2320/2430).

    Per line the payer's contractual part goes as CO-45 and the patient's part as PR-2: the
    remittance posting keeps the amounts per line, not each reason code."""
    primary = await Claim.select().where(Claim.id == claim["primary_claim"]).first()
    policy = await queries.policy_for_claim(primary["policy"])
    payer = await Payer.select().where(Payer.id == primary["payer"]).first()
    by_invoice_line = {row["invoice_line"]: row for row in await ClaimLine.select().where(
        ClaimLine.claim == primary["id"])}
    adjudications = []
    for line in lines:
        done = by_invoice_line.get(line["invoice_line"])
        if done is None:
            adjudications.append(x12.LineAdjudication(0, (x12.Adjustment("OA", "23", line["charge"]),)))
            continue
        adjusted = line["charge"] - done["paid"] - done["patient_responsibility"]
        adjudications.append(x12.LineAdjudication(done["paid"], (
            x12.Adjustment("CO", "45", adjusted), x12.Adjustment("PR", "2", done["patient_responsibility"]))))
    holder_is_patient = policy["subscriber_relation"] == "self" or not policy.get("subscriber_last_name")
    return x12.OtherPayer(
        payer_name=payer["name"], payer_id=payer["payer_code"],
        subscriber_last_name=patient["last_name"] if holder_is_patient else policy["subscriber_last_name"],
        subscriber_first_name=patient["first_name"] if holder_is_patient else policy["subscriber_first_name"],
        member_id=policy["member_number"], relationship=x12.RELATIONSHIPS.get(policy["subscriber_relation"], "G8"),
        paid=sum(adjudication.paid for adjudication in adjudications), adjudicated_on=primary["updated_at"].date(),
        lines=tuple(adjudications), group_number=policy.get("group_number") or "")


async def _claim_unit(claim: dict, payer: dict) -> x12.ClaimUnit:
    patient = await queries.patient_for_claim(claim["patient"])
    policy = await queries.policy_for_claim(claim["policy"])
    lines = await ClaimLine.select().where(ClaimLine.claim == claim["id"]).order_by(ClaimLine.position)
    codes = tuple(row["code"] for row in await ClaimDiagnosis.select(ClaimDiagnosis.code).where(
        ClaimDiagnosis.claim == claim["id"]).order_by(ClaimDiagnosis.position))
    service_date = claim["service_date"] or claim["created_at"].date()
    pointers = tuple(range(1, min(len(codes), 4) + 1)) or (1,)
    replaced = None
    if claim["replaces"]:
        replaced = await Claim.select(Claim.number).where(Claim.id == claim["replaces"]).first()
    subscriber, dependent = _subscriber(patient, policy)
    other_payer = await _primary_adjudication(claim, lines, patient) if claim.get("primary_claim") else None
    return x12.ClaimUnit(
        subscriber=subscriber, patient=dependent,
        payer=x12.PayerName(payer["name"], payer["payer_code"]),
        claim=x12.ClaimInfo(
            claim_number=str(claim["number"]), diagnosis_codes=codes,
            lines=tuple(x12.ServiceLine(code=row["code"], charge=row["charge"], units=row["units"],
                                        service_date=service_date, diagnosis_pointers=pointers,
                                        modifier=row["modifier"]) for row in lines),
            frequency="7" if replaced else "1", original_reference=str(replaced["number"]) if replaced else "",
            other_payer=other_payer))


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
