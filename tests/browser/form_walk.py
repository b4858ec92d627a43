"""Walking one form in Chromium: open it, type, send it, and look at what a person would see.

What the server answered is read from the response itself (which fields it
flagged, which alerts it sent); what happened to it is read from the page
after htmx (or the browser) dealt with it. A defect of the kind this catches
lives between the two: a right answer that never reaches the screen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.browser.crawl import FormSpec
from tests.browser.pages import POSTING_FORMS, settle

# The app's convention for "it worked": a visible .alert-ok with role=status,
# in the aria-live #alerts region or in the swapped section.
CONFIRMATION = ".alert-ok[role=status], [role=status] .alert-ok"
SUBMIT_BUTTONS = "button[type=submit], button:not([type]), input[type=submit]"

# Marks the form (and the button that sends it) so Playwright can act on them;
# opens any <details> it is folded in.
MARK = "([action, index]) => {" + POSTING_FORMS + """
  document.querySelectorAll('[data-walk]').forEach((el) => el.removeAttribute('data-walk'));
  const forms = postingForms().filter(([, path]) => path === action).map(([form]) => form);
  const form = forms[Math.min(index, forms.length - 1)];
  if (!form) return false;
  form.setAttribute('data-walk', 'form');
  for (let d = form.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
  form.querySelectorAll('details').forEach((d) => { d.open = true; });
  const buttons = Array.from(form.querySelectorAll('""" + SUBMIT_BUTTONS + """'));
  const send = buttons.find((b) => !b.closest('[role=alert]')) || null;
  if (send) send.setAttribute('data-walk', 'send');
  return true;
}"""

# What a person sees of the form now (after a swap it is a new element).
INSPECT = "([action, index, target, confirmation]) => {" + POSTING_FORMS + """
  const shown = (el) => !!el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const said = (el) => shown(el) && el.innerText.trim() !== '';
  const text = (el) => el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 240);
  const forms = postingForms().filter(([, path]) => path === action).map(([form]) => form);
  const form = forms[Math.min(index, forms.length - 1)];
  const targetElement = target.startsWith('#') ? document.getElementById(target.slice(1)) : null;
  const seen = {present: !!form, shown: shown(form), url: location.pathname + location.search,
    target: targetElement ? (said(targetElement) ? text(targetElement) : '') : null,
    confirmations: Array.from(document.querySelectorAll(confirmation)).filter(said).map(text),
    alerts: [], confirmButton: false, values: {}, fields: {}};
  if (!form) return seen;
  const container = form.closest('section, .card, li, dialog') || form.parentElement;
  const alerts = new Set();
  for (const scope of [form, container, targetElement, document.getElementById('alerts')]) {
    if (scope) scope.querySelectorAll('[role=alert]').forEach((el) => { if (said(el)) alerts.add(el); });
  }
  const before = form.previousElementSibling;
  if (before && before.matches('[role=alert]') && said(before)) alerts.add(before);
  seen.alerts = Array.from(alerts).map(text);
  seen.confirmButton = Array.from(alerts).some((el) => el.querySelector('""" + SUBMIT_BUTTONS + """'));
  for (const el of form.elements) {
    const kind = el.tagName === 'SELECT' ? 'select' : el.tagName === 'TEXTAREA' ? 'textarea'
      : (el.getAttribute('type') || 'text').toLowerCase();
    if (!el.name || el.tagName === 'BUTTON'
        || ['hidden', 'submit', 'button', 'reset', 'image', 'file'].includes(kind)) continue;
    if (kind === 'password' || el.getAttribute('autocomplete') === 'one-time-code') {
      // never echoed back, by design (a password, a sign-in code): not compared
    } else if (kind === 'radio' || kind === 'checkbox') {
      if (el.checked) seen.values[el.name] = el.value;
      else if (!(el.name in seen.values)) seen.values[el.name] = '';
    } else {
      seen.values[el.name] = el.value;
    }
    if (el.name in seen.fields) continue;
    const wrapper = el.closest('.field');
    const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const errorId = ids.find((id) => id.startsWith('e-')) || '';
    const message = errorId ? ((wrapper && wrapper.querySelector('#' + CSS.escape(errorId)))
                               || document.getElementById(errorId)) : null;
    const nearby = wrapper ? Array.from(wrapper.querySelectorAll('.error')).find(said) : null;
    seen.fields[el.name] = {invalid: el.getAttribute('aria-invalid') === 'true', errorId,
      messageInField: !!(message && wrapper && wrapper.contains(message)), messageShown: said(message),
      nearby: nearby ? text(nearby) : ''};
  }
  return seen;
}"""


@dataclass
class Answer:
    """What the server sent back for one submission."""

    status: int
    redirect: str = ""  # Location, or HX-Redirect
    flagged: dict[str, str] = field(default_factory=dict)  # field -> message
    # Flagged only when the same submission is rendered as a whole page: the
    # fragment htmx received leaves them out (it does not contain the form).
    flagged_whole_only: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    confirm_button: bool = False  # an alert with a button in it: "save anyway", "merge into this record"
    select_missing: bool = False  # hx-select names nothing in the response: htmx swaps in nothing

    @property
    def refused(self) -> bool:
        return self.status >= 400 or bool(self.flagged)

    def describe(self) -> str:
        parts = [f"the server answered {self.status}"]
        if self.redirect:
            parts.append(f"sending the browser to {self.redirect}")
        if len(self.flagged) > 4:
            parts.append("flagging " + ", ".join(self.flagged))
        elif self.flagged:
            parts.append("flagging " + ", ".join(f"{name} ({message})" for name, message in self.flagged.items()))
        if self.flagged_whole_only:
            parts.append(f"({', '.join(self.flagged_whole_only)} only in the whole page: the fragment htmx got "
                         "does not show them)")
        if self.alerts:
            parts.append("with the alert " + " / ".join(repr(alert[:120]) for alert in self.alerts))
        return ", ".join(parts)


def read_answer(form: FormSpec, status: int, headers: dict, body: str) -> Answer:
    answer = Answer(status=status, redirect=headers.get("hx-redirect") or headers.get("location", ""))
    if not body.strip():
        return answer
    tree = HTMLParser(body)
    names = {item.name for item in form.fields}
    for wrapper in tree.css(".has-error"):
        message = wrapper.css_first(".error")
        for control in wrapper.css("input[name], select[name], textarea[name]"):
            if control.attributes.get("name") in names:
                answer.flagged.setdefault(control.attributes["name"], message.text(strip=True) if message else "")
    for control in tree.css('[aria-invalid="true"][name]'):
        if control.attributes.get("name") in names:
            answer.flagged.setdefault(control.attributes["name"], "")
    for alert in tree.css("[role=alert]"):
        answer.alerts.append(" ".join(alert.text().split()))
        if alert.css_first(SUBMIT_BUTTONS):
            answer.confirm_button = True
    answer.select_missing = bool(form.select and status != 204 and tree.css_first(form.select) is None)
    return answer


class FormWalker:
    """One form on one page, as the walk's role sees it."""

    def __init__(self, page, base_url: str, form: FormSpec):
        self.page, self.base_url, self.form = page, base_url, form
        self.navigations: list[str] = []

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)

    def __enter__(self) -> FormWalker:
        self.page.on("framenavigated", self._navigated)
        return self

    def __exit__(self, *exc) -> None:
        self.page.remove_listener("framenavigated", self._navigated)

    def open(self) -> None:
        self.page.goto(self.base_url + self.form.page_url)
        settle(self.page)
        if self.form.opener:
            self.page.locator(f'[hx-get="{self.form.opener}"]').first.click()
            settle(self.page)
        self.mark()
        # As a person would have it: scrolled to, with any fold it sits in opened.
        self.page.locator("form[data-walk=form]").scroll_into_view_if_needed()

    def mark(self) -> bool:
        found = self.page.evaluate(MARK, [self.form.action, self.form.index])
        assert found, f"{self.form.key}: no form posting to {self.form.action} on {self.form.page_url} any more"
        return found

    def type(self, values: dict[str, str]) -> None:
        form = self.page.locator("form[data-walk=form]")
        kinds = {item.name: item.kind for item in self.form.fields}
        for name, value in values.items():
            if kinds[name] == "select":
                form.locator(f'select[name="{name}"]').select_option(value)
            elif kinds[name] == "radio":
                form.locator(f'input[name="{name}"][value="{value}"]').check()
            elif kinds[name] == "checkbox":
                form.locator(f'input[name="{name}"]').first.set_checked(bool(value))
            else:
                form.locator(f'[name="{name}"]').first.fill(value)

    def look(self) -> dict:
        form = self.form
        return self.page.evaluate(INSPECT, [form.action, form.index, form.target, CONFIRMATION])

    def send(self, button: str = "[data-walk=send]") -> Answer:
        """Press the form's own submit button (or the one given) and wait until the page has settled."""
        before = len(self.navigations)
        is_ours = lambda response: (response.request.method == "POST"  # noqa: E731
                                    and response.url.split("?")[0].endswith(self.form.action))
        data = self.page.locator("form[data-walk=form]").evaluate(
            "form => Array.from(new FormData(form).entries()).filter(([, v]) => typeof v === 'string')")
        with self.page.expect_response(is_ours, timeout=20000) as sent:
            if self.page.locator(button).count():
                self.page.locator(button).first.click()
            else:
                self.page.locator("form[data-walk=form]").evaluate("form => form.requestSubmit()")
        response = sent.value
        headers = response.headers
        try:
            body = response.text() if response.status < 300 or response.status >= 400 else ""
        except Exception:  # the body of a redirect is not kept
            body = ""
        if not self.form.htmx or headers.get("hx-redirect"):
            self._wait_for_navigation(before)
        settle(self.page)
        answer = read_answer(self.form, response.status, headers, body)
        if self.form.htmx and answer.status >= 400:
            self._ask_for_the_whole_page(answer, dict(data))
        return answer

    def _ask_for_the_whole_page(self, answer: Answer, data: dict) -> None:
        """Send the refused values again without htmx: the page rendered whole says which fields are wrong
        even when the fragment htmx asked for leaves the form out (a filter's results area)."""
        token = self.page.evaluate("() => (document.querySelector('meta[name=csrf-token]') || {}).content || ''")
        whole = self.page.request.post(self.base_url + self.form.action, form=data, max_redirects=0,
                                       headers={"X-CSRFToken": token})
        for name, message in read_answer(self.form, whole.status, whole.headers, whole.text()).flagged.items():
            if name not in answer.flagged:
                answer.flagged[name] = message
                answer.flagged_whole_only.append(name)

    def _wait_for_navigation(self, before: int) -> None:
        deadline = time.monotonic() + 20
        while len(self.navigations) == before and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        self.page.wait_for_load_state("load")

    def htmx_errors(self) -> list[str]:
        return self.page.evaluate("() => window.__walk ? window.__walk.htmxErrors : []")
