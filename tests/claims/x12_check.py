"""The independent readers the 837P files must pass: pyx12 (its 005010X222A1 map) and x12sdk."""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import pyx12.params
import pyx12.x12n_document
from x12sdk.io import X12ModelReader


def pyx12_problems(text: str) -> list[str]:
    """pyx12's verdict: [] when its 999 accepts the file, else the rejection lines of its 999 and log."""
    ack = io.StringIO()
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    try:
        ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), ack, None, None)
    finally:
        logger.removeHandler(handler)
    segments = ack.getvalue().split("~")
    accepted = ok and any(s.strip().startswith("IK5*A") for s in segments) and any(
        s.strip().startswith("AK9*A") for s in segments)
    if accepted:
        return []
    return [s.strip() for s in segments if s.strip()[:3] in ("IK3", "IK4", "IK5", "AK9")] + log.getvalue().splitlines()


def read_claims(text: str) -> list[dict]:
    """Each claim as x12sdk reads it: number, charge, member id, payer, diagnosis codes, lines."""
    claims = []
    with X12ModelReader(text) as reader:
        for model in reader.models():
            for claim in model.claims():
                hi = claim.claim.hi_segment[0]
                codes = [getattr(hi, f"health_care_code_{n}") for n in range(1, 13)]
                other_payers, adjudications = [], []
                for other in claim.claim.loop_2320 or []:
                    paid = next((amt.monetary_amount for amt in other.amt_segment or []
                                 if amt.amount_qualifier_code == "D"), Decimal(0))
                    other_payers.append({"payer": other.loop_2330b.nm1_segment.name_last_or_organization_name,
                                         "payer_id": other.loop_2330b.nm1_segment.identification_code,
                                         "paid": cents(paid)})
                for line in claim.service_lines:
                    adjudications.append([(cents(adj.svd_segment.service_line_paid_amount), [
                        (cas.adjustment_group_code.value if hasattr(cas.adjustment_group_code, "value")
                         else cas.adjustment_group_code, reason, cents(amount))
                        for cas in adj.cas_segment or [] for reason, amount in cas_pairs(cas)])
                        for adj in line.loop_2430 or []])
                claims.append({
                    "number": claim.patient_control_number,
                    "dependent": claim.is_dependent,
                    "relationship": claim.relationship,
                    "patient": claim.patient_name,
                    "subscriber": claim.subscriber_name,
                    "other_payers": other_payers,
                    "line_adjudications": adjudications,
                    "charge": claim.charge,
                    "member_id": claim.member_id,
                    "payer": claim.payer_name,
                    "diagnoses": [code[1] for code in codes if code],
                    "lines": [(line.sv1_segment.product_service_id_qualifier.split(":")[1],
                               line.sv1_segment.line_item_charge_amount, line.sv1_segment.service_unit_count)
                              for line in claim.service_lines],
                })
    return claims


def cas_pairs(cas) -> list[tuple[str, Decimal]]:
    """The reason/amount pairs of a CAS segment as x12sdk reads it (up to six)."""
    pairs = []
    for n in range(1, 7):
        reason = getattr(cas, f"adjustment_reason_code_{n}", None)
        if reason:
            pairs.append((reason, getattr(cas, f"monetary_amount_{n}")))
    return pairs


def cents(value: Decimal) -> int:
    return int(value * 100)
