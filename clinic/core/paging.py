"""One page of a long list: which rows, which page, how many pages."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_bounds(requested: int, total: int, size: int) -> tuple[int, int, int]:
    """(page number clamped to what exists, number of pages, row offset)."""
    pages = max(1, math.ceil(total / size))
    number = min(max(1, requested), pages)
    return number, pages, (number - 1) * size


def page_number(text: str | int | None) -> int:
    """A page number from a query string: ASCII digits, at least 1; anything else is page 1.
    (Past the last page is clamped by ``page_bounds``.)"""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return 1
    return max(1, int(text))
