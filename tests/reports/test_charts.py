"""Chart geometry, without a database: bars in proportion, whole-number gridlines for counts."""

import datetime as dt

from clinic.reports.charts import build
from clinic.reports.model import COUNT, MONEY, MONTH, TEXT, Column, Table


def show(kind, value) -> str:
    return f"${value / 100:.2f}" if kind == MONEY else str(value)


def test_count_gridlines_are_distinct_whole_numbers():
    table = Table("new", "New", [Column("month", "Month", MONTH), Column("patients", "Patients", COUNT)],
                  [{"month": dt.date(2026, m, 1), "patients": n} for m, n in ((1, 1), (2, 0), (3, 2))], chart="patients")
    chart = build(table, show)
    assert [tick["label"] for tick in chart.ticks] == ["0", "1", "2", "3", "4"]
    heights = [bar["height"] for bar in chart.bars]
    assert heights[1] == 0 and heights[2] == 2 * heights[0]


def test_categories_are_drawn_across_with_their_names_and_values_for_screen_readers():
    table = Table("methods", "Methods", [Column("method", "Method", TEXT), Column("amount", "Received", MONEY)],
                  [{"method": "Card", "amount": 3500}, {"method": "A very long payer name indeed", "amount": 7000}],
                  chart="amount", horizontal=True)
    chart = build(table, show)
    assert chart.across and chart.description == "Card: $35.00; A very long payer name indeed: $70.00"
    assert chart.bars[1]["name"] == "A very long pay…" and chart.bars[1]["width"] > chart.bars[0]["width"]


def test_nothing_to_draw_gives_no_chart():
    table = Table("t", "T", [Column("k", "K", TEXT), Column("n", "N", COUNT)], [{"k": "a", "n": 0}], chart="n")
    assert build(table, show) is None
