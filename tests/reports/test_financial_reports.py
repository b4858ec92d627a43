"""The financial report and the day sheet over HTTP, on constructed money with known answers:
what they show reconciles with the ledger and the payments table, on both backends."""

from __future__ import annotations

import csv
import io

from clinic.core import clock
from tests.factories import local_time, sign_in_as
from tests.helpers import html, one
from tests.reports.report_factories import DAY_ONE, DAY_THREE, DAY_TWO, build_money_clinic


def cells(tree, table: str, column: str) -> list[str]:
    return [node.text(strip=True) for node in tree.css(f'table[data-table="{table}"] tbody td[data-column="{column}"]')]


def total(tree, table: str, column: str) -> str:
    return one(tree, f'table[data-table="{table}"] tfoot td[data-column="{column}"]').text(strip=True)


def ledger_received(harness, since, until) -> int:
    row = harness.sql("SELECT SUM(amount) AS total FROM ledger_entry WHERE kind IN ('payment', 'credit') "
                      "AND occurred_at >= {} AND occurred_at < {}", since, until)[0]
    return -int(row["total"] or 0)


def payments_received(harness, since, until) -> int:
    row = harness.sql("SELECT SUM(amount) AS total FROM payment WHERE received_at >= {} AND received_at < {}",
                      since, until)[0]
    return int(row["total"] or 0)


def test_money_received_equals_the_ledger_and_the_payments_of_the_period(harness):
    build_money_clinic(harness)
    sign_in_as(harness, "admin")
    page = harness.client.get(f"/reports/financial?from={DAY_ONE}&to={DAY_TWO}")
    assert page.status_code == 200
    tree = html(page)
    since, until = local_time(DAY_ONE, "00:00"), local_time(DAY_THREE, "00:00")
    # 60 + 20 + 15 on day one (the 23:30 card payment is 04:30 UTC on day two), 100 + 50 on day two.
    assert ledger_received(harness, since, until) == payments_received(harness, since, until) == 24500
    assert total(tree, "revenue", "received") == "$245.00"
    assert cells(tree, "revenue", "received") == ["$95.00", "$150.00"]
    assert dict(zip(cells(tree, "methods", "method"), cells(tree, "methods", "amount"))) == {
        "Card": "$35.00", "Cash": "$110.00", "Insurance": "$100.00"}
    assert dict(zip(cells(tree, "providers", "provider"), cells(tree, "providers", "amount"))) == {
        "Dr Ada Alpha": "$100.00", "Dr Ben Beta": "$120.00", "Kept as credit": "$25.00"}
    assert one(tree, "#chart-revenue-title").text() == "Received by day"
    assert "2026: $95.00" in one(tree, "#chart-revenue-desc").text()


def test_the_provider_filter_keeps_that_providers_invoices_only(harness):
    clinic = build_money_clinic(harness)
    sign_in_as(harness, "doctor")
    tree = html(harness.client.get(f"/reports/financial?from={DAY_ONE}&to={DAY_TWO}&provider={clinic.dr_b['id']}"))
    assert cells(tree, "revenue", "received") == ["$20.00", "$100.00"]
    assert cells(tree, "providers", "provider") == ["Dr Ben Beta"]
    assert cells(tree, "services", "code") == ["99214"]
    # The insurance part still open (130 - 100) is over 90 days old by now.
    ageing = dict(zip(cells(tree, "ageing", "owed_by"), cells(tree, "ageing", "age_90")))
    assert ageing == {"Patients": "$0.00", "Aetna": "$30.00"}


def test_the_day_sheet_balances_to_the_ledger(harness):
    build_money_clinic(harness)
    sign_in_as(harness, "billing")
    tree = html(harness.client.get(f"/reports/day-sheet?day={DAY_ONE}"))
    assert [node.attributes["data-check"] for node in tree.css("[data-check]")] == ["balances", "balances"]
    entries = dict(zip(cells(tree, "entries", "kind"), cells(tree, "entries", "total")))
    assert entries["Charges"] == "$250.00" and entries["Payments applied"] == "-$95.00"
    assert total(tree, "entries", "total") == "$155.00"
    assert dict(zip(cells(tree, "methods", "method"), cells(tree, "methods", "amount"))) == {
        "Card": "$35.00", "Cash": "$60.00"}
    day_two = html(harness.client.get(f"/reports/day-sheet?day={DAY_TWO}"))
    assert [node.attributes["data-check"] for node in day_two.css("[data-check]")] == ["balances", "balances"]
    assert dict(zip(cells(day_two, "methods", "method"), cells(day_two, "methods", "amount"))) == {
        "Cash": "$50.00", "Insurance": "$100.00"}


def test_a_report_table_downloads_as_csv_with_amounts_as_numbers(harness):
    build_money_clinic(harness)
    sign_in_as(harness, "admin")
    response = harness.client.get(f"/reports/financial.csv?from={DAY_ONE}&to={DAY_TWO}&table=methods")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Method", "Payments", "Received"]
    assert rows[1:] == [["Card", "2", "35.00"], ["Cash", "2", "110.00"], ["Insurance", "1", "100.00"]]
    assert harness.audit("action = 'reports.export'", columns="entity_id")[-1]["entity_id"] == "financial methods"


def test_a_wrong_period_is_shown_beside_its_field_with_the_input_kept(harness):
    sign_in_as(harness, "admin")
    page = harness.client.get("/reports/financial?from=2026-03-10&to=2026-03-01")
    assert page.status_code == 422
    tree = html(page)
    assert one(tree, "#e-to") and one(tree, "#f-from").attributes["value"] == "2026-03-10"
    assert harness.client.get("/reports/financial?from=someday").status_code == 422


def test_an_empty_period_means_this_month_so_far_and_the_form_says_so(harness):
    sign_in_as(harness, "billing")
    tree = html(harness.client.get("/reports/appointments"))
    today = clock.today_in("America/New_York")
    assert one(tree, "#f-from").attributes["value"] == today.replace(day=1).isoformat()
    assert one(tree, "#f-to").attributes["value"] == today.isoformat()
    # Every day of the period has a row, so its CSV link is always there, naming the period.
    assert f"from={today.replace(day=1).isoformat()}" in one(tree, "#table-rates a[download]").attributes["href"]
