"""The form walk: every form that POSTs, as every role that meets it, sent empty, wrong, right and clashing.

Nobody writes a test per form: the crawl (tests/browser/crawl.py) finds them,
and each becomes its own test id, "role page-template -> action". What is
checked is what a person sees after pressing the button:

- refused: the form is still on screen (not blanked, not an empty section),
  each field the server flagged has aria-invalid="true" and aria-describedby
  naming a visible #e-<name> inside its .field, form-level errors are a
  visible [role=alert] in or above the form, and what was typed is still there;
- accepted: a visible .alert-ok[role=status] (in #alerts, in the swapped
  section or on the page it led to), or, for a filter, its results shown.
"""

from __future__ import annotations

import pytest

from tests.browser.crawl import FormSpec, discover
from tests.browser.form_values import has_taken_value, invalid_value, taken_value, valid_value
from tests.browser.form_walk import CONFIRMATION, Answer, FormWalker

pytestmark = pytest.mark.browser


def has_clearable(form: FormSpec) -> bool:
    return any(item.clearable for item in form.fields)


def has_invalid(form: FormSpec) -> bool:
    return any(invalid_value(item) is not None for item in form.fields)


def has_taken(form: FormSpec) -> bool:
    return any(has_taken_value(item, form) for item in form.fields)


WHICH_FORMS = {
    "test_an_empty_form_stays_on_screen_with_its_errors": has_clearable,
    "test_invalid_values_are_flagged_beside_their_fields_and_kept": has_invalid,
    "test_valid_values_end_with_a_visible_confirmation": lambda form: True,
    "test_a_value_someone_else_has_is_flagged_or_confirmed": has_taken,
}


def pytest_generate_tests(metafunc):
    if "form" not in metafunc.fixturenames:
        return
    forms = [form for form in discover().forms if WHICH_FORMS[metafunc.function.__name__](form)]
    if forms:
        metafunc.parametrize("form", forms, ids=[form.key for form in forms])
    else:  # no browser, or the crawl failed: the walk fixture says which
        metafunc.parametrize("form", [None], ids=["nothing-walked"])


def test_the_crawl_meets_every_role_and_their_forms(walk):
    found = discover()
    roles = {page.role for page in found.pages}
    assert roles == {"admin", "doctor", "nurse", "receptionist", "billing"}
    for role in roles:
        assert len([page for page in found.pages if page.role == role]) >= 4, role
        assert [form for form in found.forms if role in form.roles], role
    assert len(found.forms) >= 25, [form.key for form in found.forms]


def test_an_empty_form_stays_on_screen_with_its_errors(walk, form):
    with FormWalker(walk.page(needs(form).role), walk.server.url, form) as walker:
        walker.open()
        walker.type({item.name: "" for item in form.fields if item.clearable})
        before = walker.look()
        answer = walker.send()
        assert_seen(form, "sent empty", walker, answer, before)


def test_invalid_values_are_flagged_beside_their_fields_and_kept(walk, form):
    with FormWalker(walk.page(needs(form).role), walk.server.url, form) as walker:
        walker.open()
        typed = {item.name: value for item in form.fields if (value := invalid_value(item)) is not None}
        walker.type(typed)
        before = walker.look()
        answer = walker.send()
        accepted = [] if answer.refused else [f"the server accepted {', '.join(typed)} as typed"]
        assert_seen(form, "sent with invalid values", walker, answer, before, accepted)


def test_valid_values_end_with_a_visible_confirmation(walk, form):
    clinic = walk.ready()
    values = {item.name: valid_value(item, form, clinic) for item in needs(form).fields}
    unknown = [f"{name} ({kind})" for name, kind in ((item.name, item.kind) for item in form.fields)
               if values[name] is None]
    if unknown:
        pytest.fail(f"{form.key}: the form walk has no valid value for {', '.join(unknown)}; add one to VALID "
                    "(or a fallback to BY_KIND) in tests/browser/form_values.py", pytrace=False)
    with FormWalker(walk.page(form.role), walk.server.url, form) as walker:
        walker.open()
        walker.type(values)
        before = walker.look()
        answer = walker.send()
        seen = walker.look()
        if answer.flagged:
            pytest.fail(f"{form.key}: the walk's valid values were refused: {answer.describe()}; fix VALID in "
                        "tests/browser/form_values.py or the seed in tests/browser/seeded_clinic.py",
                        pytrace=False)
        if answer.confirm_button and not new_confirmations(seen, before):
            # The app asks first ("save anyway", "merge into this record"): answer it as a person would.
            if not seen["confirmButton"]:
                fail(form, "sent with valid values", answer, [
                    "the server asked to confirm (an alert with a button) but the browser does not show it"
                    + gone_because(form, answer, seen, walker)])
            walker.mark()
            answer = walker.send("form[data-walk=form] [role=alert] :is(button[type=submit], button:not([type]))")
        assert_seen(form, "sent with valid values", walker, answer, before)


def test_a_value_someone_else_has_is_flagged_or_confirmed(walk, form):
    clinic = walk.ready()
    values = {item.name: taken_value(item, form, clinic) or valid_value(item, form, clinic)
              for item in needs(form).fields}
    with FormWalker(walk.page(form.role), walk.server.url, form) as walker:
        walker.open()
        walker.type({name: value for name, value in values.items() if value is not None})
        before = walker.look()
        answer = walker.send()
        assert_seen(form, "sent with a value someone else already has", walker, answer, before)


# -- what a person sees ---------------------------------------------------------------------------


def needs(form: FormSpec | None) -> FormSpec:
    if form is None:
        pytest.fail("the crawl found no form to walk", pytrace=False)
    return form


def new_confirmations(seen: dict, before: dict) -> list[str]:
    return [text for text in seen["confirmations"] if text not in before["confirmations"]]


def assert_seen(form: FormSpec, what: str, walker: FormWalker, answer: Answer, before: dict,
                problems: list[str] | None = None) -> None:
    seen = walker.look()
    problems = list(problems or [])
    if answer.refused:
        problems += refusal_problems(form, answer, seen, before["values"], walker)
    elif not new_confirmations(seen, before) and not (form.results_elsewhere and seen["target"]):
        problems.append(f"nothing visible says it worked: no {CONFIRMATION} on {seen['url']}"
                        + gone_because(form, answer, seen, walker))
    if problems:
        fail(form, what, answer, problems)


def refusal_problems(form: FormSpec, answer: Answer, seen: dict, typed: dict, walker: FormWalker) -> list[str]:
    if not seen["present"]:
        return ["the form is gone from the page" + gone_because(form, answer, seen, walker)]
    problems = [] if seen["shown"] else ["the form is on the page but not visible"]
    problems += field_problems(answer.flagged, seen["fields"])
    if not answer.flagged and not seen["alerts"]:
        problems.append("no field is flagged and no [role=alert] is visible in or above the form")
    lost = [f"{name} ({short(value)!r} is now {short(seen['values'].get(name))!r})"
            for name, value in typed.items() if seen["values"].get(name) != value]
    if lost:
        problems.append("what was typed is lost: " + ", ".join(lost))
    return problems


def field_problems(flagged: dict[str, str], fields: dict) -> list[str]:
    """Flagged fields that miss the convention, grouped by what they miss."""
    by_gap: dict[str, list[str]] = {}
    for name in flagged:
        seen = fields.get(name)
        if seen is None:
            gap = "are no longer in the form"
        else:
            missing = [] if seen["invalid"] else ['aria-invalid="true"']
            if not seen["errorId"]:
                missing.append("aria-describedby naming their #e-<name> message")
            elif not seen["messageInField"]:
                missing.append("their #e-<name> message inside their .field")
            elif not seen["messageShown"]:
                missing.append("their #e-<name> message visible")
            if not missing:
                continue
            shown = "their messages show but are not tied to them" if seen["nearby"] else "no message shows"
            gap = "lack " + " and ".join(missing) + f" ({shown})"
        by_gap.setdefault(gap, []).append(name)
    return [f"flagged {', '.join(names)}: {gap}" for gap, names in by_gap.items()]


def gone_because(form: FormSpec, answer: Answer, seen: dict, walker: FormWalker) -> str:
    reasons = []
    if answer.select_missing:
        reasons.append(f'the response has no element matching hx-select="{form.select}", so htmx swapped in '
                       "nothing")
    stayed = form.htmx and not answer.redirect
    if form.target and stayed:
        if seen["target"] is None:
            reasons.append(f"{form.target} (hx-target) is no longer on the page")
        else:
            reasons.append(f"{form.target} shows {short(seen['target'], 160)!r}" if seen["target"]
                           else f"{form.target} is empty")
    reasons += [f"htmx reported {error}" for error in walker.htmx_errors()]
    return f" ({'; '.join(reasons)})" if reasons else ""


def short(value, length: int = 40):
    if isinstance(value, str) and len(value) > length:
        return f"{value[:length]}… ({len(value)} characters)"
    return value


def fail(form: FormSpec, what: str, answer: Answer, problems: list[str]) -> None:
    htmx = ", ".join(f"{name} {value}" for name, value in (("hx-target", form.target), ("hx-select", form.select),
                                                           ("hx-swap", form.swap)) if value)
    lines = [f"{form.key}, {what}: {answer.describe()}", *[f"  - {problem}" for problem in problems],
             f"  (page {form.page_url}; {'hx-post' if form.htmx else 'plain POST'} {form.action}"
             + (f"; {htmx}" if htmx else "") + (f"; opened with the button hx-get {form.opener}" if form.opener else "")
             + ")"]
    pytest.fail("\n".join(lines), pytrace=False)
