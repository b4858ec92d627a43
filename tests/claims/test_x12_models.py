"""The 837P models without a database: amounts, counts, control numbers, the HL tree, pyx12."""

import datetime as dt

import pytest

from clinic.claims import x12
from tests.claims.x12_check import cents, pyx12_problems, read_claims


def a_claim(number: str, *charges: int, codes=("E11.9",), member="W123") -> x12.ClaimUnit:
    return x12.ClaimUnit(
        subscriber=x12.Subscriber("Doe", "Jane", member, dt.date(1980, 1, 2), "F",
                                  x12.Address("2 Oak St", "Springfield", "IL", "62701"), "GRP1"),
        payer=x12.PayerName("Acme Health", "ACME1"),
        claim=x12.ClaimInfo(number, codes, tuple(x12.ServiceLine(f"9921{n}", charge, 1, dt.date(2026, 11, 20))
                                                 for n, charge in enumerate(charges))))


def a_file(*claims: x12.ClaimUnit, control: int = 7) -> x12.Transaction837:
    return x12.Transaction837(
        envelope=x12.Envelope("CLINIC01", "CLEARING01", control, dt.datetime(2026, 11, 30, 9, 15)),
        submitter=x12.Submitter("Riverside Clinic", "CLINIC01", "Billing office", "555-555-1234"),
        receiver=x12.Receiver("Clearing house", "CLEARING01"),
        billing_provider=x12.BillingProvider("Riverside Clinic", "1234567893", "12-3456789",
                                             x12.Address("1 Main St", "Springfield", "IL", "62701")),
        claims=claims)


def segments_of(transaction: x12.Transaction837) -> list[list[str]]:
    return x12.split_segments(transaction.render())


@pytest.mark.parametrize(("cents", "text"), [(15000, "150"), (15050, "150.5"), (1, "0.01"), (0, "0"),
                                             (-2599, "-25.99")])
def test_amounts_are_written_as_x12_decimals_and_read_back(cents, text):
    assert x12.amount(cents) == text
    assert x12.parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "1.234", "abc", "1,00", "."])
def test_a_malformed_amount_is_refused(text):
    with pytest.raises(ValueError):
        x12.parse_amount(text)


def test_delimiters_in_names_never_break_a_segment():
    assert x12.clean_text("O'Neil*Smith~^:x", 60) == "O'NEIL SMITH X"


def test_the_se_count_is_the_segments_from_st_to_se():
    segments = segments_of(a_file(a_claim("1", 10000, 2000), a_claim("2", 500)))
    st, se = next(i for i, s in enumerate(segments) if s[0] == "ST"), next(
        i for i, s in enumerate(segments) if s[0] == "SE")
    assert int(segments[se][1]) == se - st + 1
    assert segments[se][2] == segments[st][2]


def test_control_numbers_match_between_headers_and_trailers():
    segments = segments_of(a_file(a_claim("1", 100), control=123))
    by_tag = {s[0]: s for s in segments}
    assert by_tag["ISA"][13] == by_tag["IEA"][2] == "000000123"
    assert by_tag["GS"][6] == by_tag["GE"][2] == "123"
    assert by_tag["GE"][1] == "1" and by_tag["IEA"][1] == "1"


def test_the_hl_tree_numbers_each_subscriber_under_the_billing_provider():
    segments = segments_of(a_file(a_claim("1", 100), a_claim("2", 200), a_claim("3", 300)))
    hls = [s for s in segments if s[0] == "HL"]
    assert [s[1] for s in hls] == ["1", "2", "3", "4"]
    assert hls[0][2:5] == ["", "20", "1"]
    assert all(s[2] == "1" and s[3] == "22" and s[4] == "0" for s in hls[1:])


def test_a_claims_charge_is_the_sum_of_its_lines_and_lines_are_numbered():
    segments = segments_of(a_file(a_claim("1", 10000, 2550, 1)))
    clm = next(s for s in segments if s[0] == "CLM")
    assert clm[2] == "125.51"
    assert [s[1] for s in segments if s[0] == "LX"] == ["1", "2", "3"]


def test_diagnosis_codes_lose_their_dot_and_the_first_is_the_principal():
    segments = segments_of(a_file(a_claim("1", 100, codes=("E11.9", "I10", "Z00.00"))))
    assert next(s for s in segments if s[0] == "HI")[1:] == ["ABK:E119", "ABF:I10", "ABF:Z0000"]


def test_a_claim_without_lines_or_diagnoses_is_not_written():
    with pytest.raises(ValueError):
        a_file(a_claim("1")).render()
    with pytest.raises(ValueError):
        a_file(a_claim("1", 100, codes=())).render()


def test_a_file_with_several_claims_passes_pyx12_and_reads_back_through_x12sdk():
    text = a_file(a_claim("1", 15050, 1000, codes=("E11.9", "I10")), a_claim("2", 9000, member="M9")).render()
    assert pyx12_problems(text) == []
    claims = read_claims(text)
    assert [c["number"] for c in claims] == ["1", "2"]
    assert [str(c["charge"]) for c in claims] == ["160.5", "90"]
    assert claims[0]["diagnoses"] == ["E119", "I10"] and claims[1]["member_id"] == "M9"


def test_pyx12_does_catch_a_wrong_count_so_its_silence_means_something():
    text = a_file(a_claim("1", 100)).render()
    broken = "\n".join(line if not line.startswith("SE*") else "SE*99*0007~" for line in text.splitlines())
    assert pyx12_problems(broken) != []


# -- a subscriber who is not the patient, and a secondary claim ------------------------------------

def a_dependents_claim(number: str = "5", *charges: int) -> x12.ClaimUnit:
    """A child on a parent's policy: the parent subscribes (2000B), the child is the patient (2000C)."""
    unit = a_claim(number, *(charges or (12000,)))
    return x12.ClaimUnit(
        subscriber=x12.Subscriber("Doe", "John", "W999", None, "U", None, "GRP1"),
        payer=unit.payer, claim=unit.claim,
        patient=x12.Dependent("19", "Doe", "Amy", dt.date(2015, 6, 1), "F",
                              x12.Address("2 Oak St", "Springfield", "IL", "62701")))


def a_secondary_claim(number: str = "6") -> x12.ClaimUnit:
    """Two lines the primary payer adjudicated: paid part, contractual and patient parts."""
    lines = (x12.ServiceLine("99213", 15000, 1, dt.date(2026, 11, 20)),
             x12.ServiceLine("36415", 2500, 1, dt.date(2026, 11, 20)))
    primary = x12.OtherPayer(
        payer_name="Acme Health", payer_id="ACME1", subscriber_last_name="Doe", subscriber_first_name="Jane",
        member_id="W123", relationship="18", paid=11000, adjudicated_on=dt.date(2026, 11, 28),
        lines=(x12.LineAdjudication(9000, (x12.Adjustment("CO", "45", 4000), x12.Adjustment("PR", "2", 2000))),
               x12.LineAdjudication(2000, (x12.Adjustment("PR", "2", 500),))))
    return x12.ClaimUnit(
        subscriber=x12.Subscriber("Doe", "Jane", "S555", dt.date(1980, 1, 2), "F",
                                  x12.Address("2 Oak St", "Springfield", "IL", "62701"), priority="S"),
        payer=x12.PayerName("Second Mutual", "SEC01"),
        claim=x12.ClaimInfo(number, ("E11.9",), lines, other_payer=primary))


def test_a_dependent_gets_a_patient_level_under_the_subscriber_and_passes_pyx12():
    segments = segments_of(a_file(a_claim("1", 100), a_dependents_claim("2")))
    hls = [s for s in segments if s[0] == "HL"]
    assert [s[1:5] for s in hls] == [["1", "", "20", "1"], ["2", "1", "22", "0"], ["3", "1", "22", "1"],
                                     ["4", "3", "23", "0"]]
    sbrs = [s for s in segments if s[0] == "SBR"]
    assert sbrs[0][2] == "18" and sbrs[1][2] == ""  # "self" only where the subscriber is the patient
    assert next(s for s in segments if s[0] == "PAT")[1] == "19"
    text = a_file(a_claim("1", 100), a_dependents_claim("2", 12000, 3000)).render()
    assert pyx12_problems(text) == []
    claims = read_claims(text)
    assert [(c["number"], c["dependent"], c["relationship"]) for c in claims] == [("1", False, "18"),
                                                                                  ("2", True, "19")]
    assert claims[1]["patient"] == ("DOE", "AMY") and claims[1]["subscriber"] == ("DOE", "JOHN")
    assert claims[1]["member_id"] == "W999" and str(claims[1]["charge"]) == "150"


def test_a_secondary_claim_carries_the_primary_payers_adjudication_and_passes_pyx12():
    text = a_file(a_secondary_claim()).render()
    segments = x12.split_segments(text)
    tags = [s[0] for s in segments]
    # 2320 sits after the claim's HI and before its lines; each line ends with its 2430.
    assert tags.index("HI") < tags.index("AMT") < tags.index("OI") < tags.index("LX")
    assert [s for s in segments if s[0] == "SVD"] == [["SVD", "ACME1", "90", "HC:99213", "", "1"],
                                                     ["SVD", "ACME1", "20", "HC:36415", "", "1"]]
    assert [s for s in segments if s[0] == "CAS"] == [["CAS", "CO", "45", "40"], ["CAS", "PR", "2", "20"],
                                                     ["CAS", "PR", "2", "5"]]
    assert pyx12_problems(text) == []
    claim = read_claims(text)[0]
    assert claim["other_payers"] == [{"payer": "ACME HEALTH", "payer_id": "ACME1", "paid": 11000}]
    assert claim["line_adjudications"] == [[(9000, [("CO", "45", 4000), ("PR", "2", 2000)])],
                                           [(2000, [("PR", "2", 500)])]]
    # Every line balances: what the primary paid and adjusted is its charge.
    for (_, charge, _), adjudications in zip(claim["lines"], claim["line_adjudications"]):
        paid, adjustments = adjudications[0]
        assert cents(charge) == paid + sum(amount for _, _, amount in adjustments)


def test_a_secondary_claim_whose_adjudication_misses_a_line_is_not_written():
    unit = a_secondary_claim()
    short = x12.ClaimInfo("7", unit.claim.diagnosis_codes, unit.claim.lines,
                          other_payer=x12.OtherPayer(**{**unit.claim.other_payer.__dict__,
                                                        "lines": unit.claim.other_payer.lines[:1]}))
    with pytest.raises(ValueError):
        a_file(x12.ClaimUnit(unit.subscriber, unit.payer, short)).render()


def test_pyx12_does_check_the_line_adjudication_so_its_silence_means_something():
    text = a_file(a_secondary_claim()).render()
    lines = [line for line in text.splitlines() if not line.startswith("DTP*573")]
    st, se = next(i for i, line in enumerate(lines) if line.startswith("ST*")), next(
        i for i, line in enumerate(lines) if line.startswith("SE*"))
    lines[se] = f"SE*{se - st + 1}*0007~"  # the count stays right: only the missing date is wrong
    assert any("DTP" in problem for problem in pyx12_problems("\n".join(lines)))
