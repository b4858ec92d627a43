"""The insurance split: what the patient pays of an invoice under a policy, and what the payer does.

In the order plans apply them: the copay first, then what is left of the year's deductible, then
the coinsurance percentage of the rest (rounded by money's one rule); the payer owes the remainder.
Without a policy the patient owes it all. The parts always add up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic.core.money import percent_of


@dataclass(frozen=True)
class Split:
    copay: int = 0
    deductible: int = 0
    coinsurance: int = 0
    self_pay: int = 0  # no policy: the whole total
    insurance: int = 0

    @property
    def patient(self) -> int:
        return self.copay + self.deductible + self.coinsurance + self.self_pay

    @property
    def total(self) -> int:
        return self.patient + self.insurance


def split_invoice(total: int, *, insured: bool, copay: int = 0, coinsurance_percent: int = 0,
                  deductible_left: int = 0) -> Split:
    """``total`` (minor units, zero or more) shared between patient and payer."""
    if total < 0:
        raise ValueError("an invoice's total is never negative")
    if not insured:
        return Split(self_pay=total)
    copay_part = min(max(copay, 0), total)
    rest = total - copay_part
    deductible_part = min(max(deductible_left, 0), rest)
    rest -= deductible_part
    coinsurance_part = percent_of(rest, min(max(coinsurance_percent, 0), 100))
    return Split(copay=copay_part, deductible=deductible_part, coinsurance=coinsurance_part,
                 insurance=rest - coinsurance_part)
