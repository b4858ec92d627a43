"""X12 5010 837P (005010X222A1) built from typed models.

Nothing here counts by hand: the HL numbers and parents come from walking the hierarchy, SE01 from
the segments actually rendered between ST and SE, GE01 from the transaction sets, IEA01 from the
groups, and control numbers are given once to the interchange and copied where X12 repeats them.
Amounts are integer minor units, rendered as X12 decimals ("150", "150.5", "0.01").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

ELEMENT, COMPONENT, REPETITION, TERMINATOR = "*", ":", "^", "~"
_UNSAFE = re.compile(r"[*:^~\r\n]")


def clean_text(value: str, length: int) -> str:
    """A value safe inside an element: delimiters removed, upper case, within ``length``."""
    return " ".join(_UNSAFE.sub(" ", value or "").split()).upper()[:length]


def amount(minor: int) -> str:
    """Integer cents as an X12 decimal without trailing zeros (15000 -> "150", 15050 -> "150.5")."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    if not cents:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{cents:02d}".rstrip("0")


def parse_amount(text: str) -> int:
    """An X12 decimal as integer cents ("150.5" -> 15050); raises ValueError on anything else."""
    match = re.fullmatch(r"(-?)(\d*)(?:\.(\d{0,2}))?", (text or "").strip())
    if not match or not (match.group(2) or match.group(3)):
        raise ValueError(f"not an amount: {text!r}")
    minor = int(match.group(2) or 0) * 100 + int((match.group(3) or "").ljust(2, "0") or 0)
    return -minor if match.group(1) else minor


@dataclass(frozen=True)
class Segment:
    tag: str
    elements: tuple[str, ...]

    def render(self) -> str:
        values = list(self.elements)
        while values and values[-1] == "":
            values.pop()  # X12 drops trailing empty elements
        return ELEMENT.join((self.tag, *values)) + TERMINATOR


def seg(tag: str, *elements: str) -> Segment:
    return Segment(tag, tuple(elements))


def composite(*parts: str) -> str:
    values = list(parts)
    while values and values[-1] == "":
        values.pop()
    return COMPONENT.join(values)


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str

    def segments(self) -> list[Segment]:
        return [seg("N3", clean_text(self.line1, 55)),
                seg("N4", clean_text(self.city, 30), clean_text(self.state, 2), re.sub(r"\D", "", self.postal_code)[:9])]


@dataclass(frozen=True)
class Submitter:  # loop 1000A
    name: str
    submitter_id: str
    contact_name: str
    phone: str

    def segments(self) -> list[Segment]:
        return [seg("NM1", "41", "2", clean_text(self.name, 60), "", "", "", "", "46", clean_text(self.submitter_id, 80)),
                seg("PER", "IC", clean_text(self.contact_name, 60), "TE", re.sub(r"\D", "", self.phone)[:10])]


@dataclass(frozen=True)
class Receiver:  # loop 1000B
    name: str
    receiver_id: str

    def segments(self) -> list[Segment]:
        return [seg("NM1", "40", "2", clean_text(self.name, 60), "", "", "", "", "46",
                    clean_text(self.receiver_id, 80))]


@dataclass(frozen=True)
class BillingProvider:  # loop 2010AA
    name: str
    npi: str
    tax_id: str
    address: Address

    def segments(self) -> list[Segment]:
        return [seg("NM1", "85", "2", clean_text(self.name, 60), "", "", "", "", "XX", self.npi),
                *self.address.segments(),
                seg("REF", "EI", re.sub(r"\D", "", self.tax_id))]


@dataclass(frozen=True)
class Subscriber:  # loop 2000B SBR + 2010BA
    last_name: str
    first_name: str
    member_id: str
    birth_date: dt.date | None
    sex: str  # F | M | U
    address: Address | None
    group_number: str = ""
    priority: str = "P"  # P primary, S secondary
    filing_indicator: str = "CI"

    def sbr(self, *, is_patient: bool = True) -> Segment:
        # SBR02 says "self" only when the subscriber is the patient; otherwise 2000C says who the patient is.
        return seg("SBR", self.priority, "18" if is_patient else "", clean_text(self.group_number, 50), "", "", "",
                   "", "", self.filing_indicator)

    def segments(self) -> list[Segment]:
        out = [seg("NM1", "IL", "1", clean_text(self.last_name, 60), clean_text(self.first_name, 35), "", "", "",
                   "MI", clean_text(self.member_id, 80))]
        if self.address:
            out += self.address.segments()
        if self.birth_date:
            out.append(seg("DMG", "D8", self.birth_date.strftime("%Y%m%d"), self.sex if self.sex in "FMU" else "U"))
        return out


# The patient's relationship to a subscriber who is someone else (PAT01 / SBR02 in 2320).
RELATIONSHIPS = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}


@dataclass(frozen=True)
class Dependent:  # loop 2000C PAT + 2010CA: the patient, when the subscriber is someone else
    relationship: str  # "01" spouse, "19" child, "G8" other
    last_name: str
    first_name: str
    birth_date: dt.date
    sex: str
    address: Address

    def segments(self) -> list[Segment]:
        return [seg("PAT", self.relationship),
                seg("NM1", "QC", "1", clean_text(self.last_name, 60), clean_text(self.first_name, 35)),
                *self.address.segments(),
                seg("DMG", "D8", self.birth_date.strftime("%Y%m%d"), self.sex if self.sex in "FMU" else "U")]


@dataclass(frozen=True)
class Adjustment:
    group: str  # CO contractual, PR patient responsibility, OA other
    reason: str  # a claim adjustment reason code (CARC)
    amount: int


def cas_segments(adjustments: tuple[Adjustment, ...]) -> list[Segment]:
    """One CAS per group, up to six reason/amount pairs each, in the order given."""
    out = []
    groups: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        if adjustment.amount:
            groups.setdefault(adjustment.group, []).append(adjustment)
    for group, items in groups.items():
        elements: list[str] = [group]
        for index, item in enumerate(items[:6]):
            if index:
                elements.append("")  # the quantity of the previous pair, not sent
            elements += [clean_text(item.reason, 5), amount(item.amount)]
        out.append(seg("CAS", *elements))
    return out


@dataclass(frozen=True)
class LineAdjudication:  # loop 2430: what the other payer did with one service line
    paid: int
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class OtherPayer:  # loops 2320, 2330A and 2330B: the payer that adjudicated before this one
    payer_name: str
    payer_id: str
    subscriber_last_name: str
    subscriber_first_name: str
    member_id: str
    relationship: str  # the patient's relationship to that payer's subscriber ("18" self)
    paid: int
    adjudicated_on: dt.date
    lines: tuple[LineAdjudication, ...]  # one per service line, in the same order
    group_number: str = ""
    priority: str = "P"  # that payer's place: P primary
    filing_indicator: str = "CI"

    def segments(self) -> list[Segment]:
        return [seg("SBR", self.priority, self.relationship, clean_text(self.group_number, 50), "", "", "", "", "",
                    self.filing_indicator),
                seg("AMT", "D", amount(self.paid)),
                seg("OI", "", "", "Y", "", "", "Y"),
                seg("NM1", "IL", "1", clean_text(self.subscriber_last_name, 60),
                    clean_text(self.subscriber_first_name, 35), "", "", "", "MI", clean_text(self.member_id, 80)),
                seg("NM1", "PR", "2", clean_text(self.payer_name, 60), "", "", "", "", "PI",
                    clean_text(self.payer_id, 80))]

    def line_segments(self, line: "ServiceLine", adjudication: LineAdjudication) -> list[Segment]:
        procedure = composite("HC", clean_text(line.code, 48), clean_text(line.modifier, 2))
        return [seg("SVD", clean_text(self.payer_id, 80), amount(adjudication.paid), procedure, "", str(line.units)),
                *cas_segments(adjudication.adjustments),
                seg("DTP", "573", "D8", self.adjudicated_on.strftime("%Y%m%d"))]


@dataclass(frozen=True)
class PayerName:  # loop 2010BB
    name: str
    payer_id: str

    def segments(self) -> list[Segment]:
        return [seg("NM1", "PR", "2", clean_text(self.name, 60), "", "", "", "", "PI", clean_text(self.payer_id, 80))]


@dataclass(frozen=True)
class ServiceLine:  # loop 2400
    code: str
    charge: int
    units: int
    service_date: dt.date
    diagnosis_pointers: tuple[int, ...] = (1,)
    modifier: str = ""

    def segments(self, number: int) -> list[Segment]:
        procedure = composite("HC", clean_text(self.code, 48), clean_text(self.modifier, 2))
        pointers = composite(*(str(p) for p in self.diagnosis_pointers[:4]))
        return [seg("LX", str(number)),
                seg("SV1", procedure, amount(self.charge), "UN", str(self.units), "", "", pointers),
                seg("DTP", "472", "D8", self.service_date.strftime("%Y%m%d"))]


@dataclass(frozen=True)
class ClaimInfo:  # loop 2300
    claim_number: str
    diagnosis_codes: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    place_of_service: str = "11"
    frequency: str = "1"  # 1 original, 7 replacement of a prior claim
    original_reference: str = ""  # the payer's claim number being replaced (frequency 7)
    other_payer: OtherPayer | None = None  # a secondary claim: the primary payer's adjudication

    @property
    def charge(self) -> int:
        return sum(line.charge for line in self.lines)

    def segments(self) -> list[Segment]:
        if not self.lines:
            raise ValueError(f"claim {self.claim_number} has no service lines")
        if not self.diagnosis_codes:
            raise ValueError(f"claim {self.claim_number} has no diagnosis codes")
        out = [seg("CLM", clean_text(self.claim_number, 38), amount(self.charge), "", "",
                   composite(self.place_of_service, "B", self.frequency), "Y", "A", "Y", "Y")]
        if self.frequency == "7" and self.original_reference:
            out.append(seg("REF", "F8", clean_text(self.original_reference, 50)))
        codes = [clean_text(code, 30).replace(".", "") for code in self.diagnosis_codes[:12]]
        out.append(seg("HI", *(composite("ABK" if index == 0 else "ABF", code) for index, code in enumerate(codes))))
        other = self.other_payer
        if other is not None:
            if len(other.lines) != len(self.lines):
                raise ValueError(f"claim {self.claim_number}: the other payer's lines do not match the claim's")
            out += other.segments()
        for number, line in enumerate(self.lines, start=1):
            out += line.segments(number)
            if other is not None:
                out += other.line_segments(line, other.lines[number - 1])
        return out


@dataclass(frozen=True)
class ClaimUnit:
    """One subscriber (2000B), their payer and one claim; the patient (2000C) when it is not the subscriber."""

    subscriber: Subscriber
    payer: PayerName
    claim: ClaimInfo
    patient: Dependent | None = None


@dataclass(frozen=True)
class Envelope:
    sender_id: str
    receiver_id: str
    control_number: int  # ISA13; GS06 and ST02 derive from it
    created: dt.datetime
    test: bool = True


@dataclass(frozen=True)
class Transaction837:
    envelope: Envelope
    submitter: Submitter
    receiver: Receiver
    billing_provider: BillingProvider
    claims: tuple[ClaimUnit, ...] = field(default_factory=tuple)

    def body(self) -> list[Segment]:
        """ST..SE with the hierarchy numbered as it is walked."""
        when = self.envelope.created
        st_control = f"{self.envelope.control_number % 10000:04d}"
        out = [seg("ST", "837", st_control, "005010X222A1"),
               seg("BHT", "0019", "00", f"{self.envelope.control_number:09d}", when.strftime("%Y%m%d"),
                   when.strftime("%H%M"), "CH"),
               *self.submitter.segments(), *self.receiver.segments()]
        hl = 1
        provider_hl = hl
        out.append(seg("HL", str(provider_hl), "", "20", "1" if self.claims else "0"))
        out += self.billing_provider.segments()
        for unit in self.claims:
            hl += 1
            subscriber_hl = hl
            out.append(seg("HL", str(subscriber_hl), str(provider_hl), "22", "0" if unit.patient is None else "1"))
            out.append(unit.subscriber.sbr(is_patient=unit.patient is None))
            out += unit.subscriber.segments()
            out += unit.payer.segments()
            if unit.patient is not None:
                hl += 1
                out.append(seg("HL", str(hl), str(subscriber_hl), "23", "0"))
                out += unit.patient.segments()
            out += unit.claim.segments()
        out.append(seg("SE", str(len(out) + 1), st_control))
        return out

    def segments(self) -> list[Segment]:
        env = self.envelope
        when = env.created
        isa = seg("ISA", "00", " " * 10, "00", " " * 10, "ZZ", env.sender_id.upper().ljust(15)[:15], "ZZ",
                  env.receiver_id.upper().ljust(15)[:15], when.strftime("%y%m%d"), when.strftime("%H%M"),
                  REPETITION, "00501", f"{env.control_number:09d}", "0", "T" if env.test else "P", COMPONENT)
        body = self.body()
        transactions = sum(1 for segment in body if segment.tag == "ST")
        groups = [seg("GS", "HC", clean_text(env.sender_id, 15), clean_text(env.receiver_id, 15),
                      when.strftime("%Y%m%d"), when.strftime("%H%M"), str(env.control_number), "X", "005010X222A1"),
                  *body,
                  seg("GE", str(transactions), str(env.control_number))]
        group_count = sum(1 for segment in groups if segment.tag == "GS")
        return [isa, *groups, seg("IEA", str(group_count), f"{env.control_number:09d}")]

    def render(self, *, line_breaks: bool = True) -> str:
        return ("\n" if line_breaks else "").join(segment.render() for segment in self.segments()) + (
            "\n" if line_breaks else "")


def split_segments(text: str) -> list[list[str]]:
    """A small reader for X12 text: the delimiters are read from the ISA, as X12 says they must be."""
    text = text.lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        raise ValueError("not an X12 interchange (no ISA header)")
    element, component, terminator = text[3], text[104], text[105]
    del component
    return [part.strip().split(element) for part in text.split(terminator) if part.strip()]
