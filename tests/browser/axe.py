"""axe-core in the page, and what overflows a narrow screen.

axe-core comes from npm through tests/browser/package.json (the Makefile's
test set-up runs `npm ci --prefix tests/browser` when npm is there); without
it the accessibility gate skips with one line, and fails under CI=true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import IN_CI

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")

RUN_AXE = """async (impacts) => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '),
                                why: ((n.any[0] || n.all[0] || n.none[0] || {}).message || '').slice(0, 240)}))}));
}"""

# The elements that push the page sideways: their right edge (or their
# content's) is past the viewport and nothing clips or scrolls them. An
# absolutely positioned element is clipped only by its containing block's
# chain (a .visually-hidden label inside a scrolling table is not).
OVERFLOW = r"""() => {
  const viewport = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page <= viewport) return {page, viewport, culprits: []};
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    for (let up = el.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      if (position === 'fixed') return false;
      const style = getComputedStyle(up);
      if (position === 'absolute' && style.position === 'static') continue;  // not its containing block
      if (style.overflowX !== 'visible') return true;
      position = style.position;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id
    : el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
  const path = (el) => {  // the element, two ancestors, and the nearest one with an id
    const parts = [];
    let e = el;
    for (; e && e !== document.body && parts.length < 3; e = e.parentElement) parts.unshift(name(e));
    while (e && e !== document.body && !e.id) e = e.parentElement;
    return (e && e !== document.body ? name(e) + ' … ' : '') + parts.join(' > ');
  };
  // Boxes past the edge (the outermost of them); failing that, content spilling out of a box (the innermost).
  const boxes = [], spills = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if ((box.width === 0 && box.height === 0) || clipped(el)) continue;
    const spill = getComputedStyle(el).overflowX === 'visible' ? box.left + el.scrollWidth : box.right;
    if (box.right > viewport + 0.5) boxes.push({el, right: Math.round(box.right), width: Math.round(box.width)});
    else if (spill > viewport + 0.5) spills.push({el, right: Math.round(spill), width: Math.round(box.width)});
  }
  const contains = (list, c) => list.some((other) => other !== c && other.el.contains(c.el));
  const inside = (list, c) => list.some((other) => other !== c && c.el.contains(other.el));
  const culprits = boxes.length ? boxes.filter((c) => !contains(boxes, c)) : spills.filter((c) => !inside(spills, c));
  culprits.sort((a, b) => b.right - a.right || b.width - a.width);
  return {page, viewport, culprits: culprits.slice(0, 3).map((c) => ({element: path(c.el), right: c.right,
          width: c.width, text: (c.el.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 60)}))};
}"""


def axe_missing() -> str | None:
    if AXE_JS.exists():
        return None
    return "tests/browser/node_modules/axe-core is not installed (npm ci --prefix tests/browser)"


def require_axe() -> None:
    reason = axe_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"the accessibility gate is mandatory in CI: {reason}", pytrace=False)
        pytest.skip(f"accessibility gate skipped: {reason}")


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical violations; the page's context must bypass CSP to inject it."""
    if page.evaluate("typeof axe === 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(RUN_AXE, list(SERIOUS))


def overflow(page) -> dict:
    return page.evaluate(OVERFLOW)
