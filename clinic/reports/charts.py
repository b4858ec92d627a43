"""Bar charts drawn on the server as inline SVG: no chart library, nothing run in the browser.

Only geometry is worked out here; templates/reports/chart.html draws it with a <title> and <desc>
for screen readers (the same numbers are in the table beside every chart). The drawing scales
with its ``viewBox``, so it fits a phone; a time series is drawn upright, categories across with
their names on the left, in a narrower box so the words stay legible when scaled down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from clinic.reports.model import Table

# Small boxes on purpose: text in a viewBox scales with it, so a narrow box keeps the words
# legible on a 360 px phone; a wide screen shows the chart at most about 1.5 times larger (app.css).
UPRIGHT_WIDTH, UPRIGHT_HEIGHT = 360, 200
ACROSS_WIDTH, ACROSS_ROW = 320, 24
LEFT, RIGHT, TOP, BOTTOM = 66, 8, 10, 30
WIDEST_BAR = 40
MOST_CATEGORIES = 15


@dataclass
class Chart:
    title: str
    description: str
    width: int
    height: int
    across: bool
    bars: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)


def nice_step(value: float, *, whole: bool) -> float:
    """The gridline step for four steps up to ``value``: 1, 2, 2.5 or 5 times a power of ten
    (never 2.5, nor below 1, for counts, whose gridlines must be whole numbers)."""
    target = max(value / 4, 1 if whole else 0)
    if target <= 0:
        return 1
    power = 1.0
    while power * 10 <= target:
        power *= 10
    while power > target:
        power /= 10
    for step in ((1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)):
        if step * power >= target:
            return step * power
    return 10 * power


def build(table: Table, show: Callable[[str, object], str]) -> Chart | None:
    """The chart of a table's ``chart`` column against its first column, or None if nothing to draw."""
    if not table.chart or not table.rows:
        return None
    label_column, value_column = table.columns[0], table.column(table.chart)
    rows = table.rows[:MOST_CATEGORIES] if table.horizontal else table.rows
    values = [float(row.get(value_column.key) or 0) for row in rows]
    if not any(values):
        return None
    names = [show(label_column.kind, row.get(label_column.key)) for row in rows]
    shown = [show(value_column.kind, row.get(value_column.key)) for row in rows]
    title = table.chart_label or f"{value_column.label} by {label_column.label.lower()}"
    description = "; ".join(f"{name}: {value}" for name, value in zip(names, shown))
    top = 4 * nice_step(max(values), whole=value_column.kind == "count")
    if table.horizontal:
        return _across(title, description, names, values, shown, top)
    return _upright(title, description, names, values, shown, top, value_column.kind, show)


def _upright(title, description, names, values, shown, top, kind, show) -> Chart:
    chart = Chart(title, description, UPRIGHT_WIDTH, UPRIGHT_HEIGHT, across=False)
    plot_width, plot_height = UPRIGHT_WIDTH - LEFT - RIGHT, UPRIGHT_HEIGHT - TOP - BOTTOM
    slot = plot_width / len(values)
    gap = min(slot * 0.2, 6)
    for index, (name, value, text) in enumerate(zip(names, values, shown)):
        height = plot_height * max(value, 0) / top
        width = min(max(slot - gap, 1), WIDEST_BAR)
        chart.bars.append({"x": round(LEFT + index * slot + (slot - width) / 2, 1),
                           "y": round(TOP + plot_height - height, 1), "width": round(width, 1), "height": round(height, 1),
                           "label": f"{name}: {text}"})
    for step in range(5):
        value = top * step / 4
        chart.ticks.append({"y": round(TOP + plot_height - plot_height * step / 4, 1),
                            "label": show(kind, int(value) if kind in ("count", "money") else round(value, 1)),
                            "x1": LEFT, "x2": UPRIGHT_WIDTH - RIGHT})
    every = max(1, -(-len(values) // 4))  # at most four labels under the bars
    for index in range(0, len(values), every):
        chart.labels.append({"x": round(LEFT + index * slot + slot / 2, 1), "y": UPRIGHT_HEIGHT - BOTTOM + 18,
                             "text": names[index]})
    return chart


def _across(title, description, names, values, shown, top) -> Chart:
    height = TOP + ACROSS_ROW * len(values) + 4
    chart = Chart(title, description, ACROSS_WIDTH, height, across=True)
    label_width = 112
    plot_width = ACROSS_WIDTH - label_width - 72
    for index, (name, value, text) in enumerate(zip(names, values, shown)):
        y = TOP + index * ACROSS_ROW
        width = plot_width * max(value, 0) / top
        chart.bars.append({"x": label_width, "y": y, "width": round(max(width, 1), 1), "height": ACROSS_ROW - 8,
                           "label": f"{name}: {text}", "name": name if len(name) <= 16 else name[:15] + "…", "text": text,
                           "text_x": round(label_width + width + 4, 1), "text_y": y + ACROSS_ROW - 11,
                           "name_x": label_width - 6})
    return chart
