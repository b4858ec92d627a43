"""What the browser gates know about a page: its route template, when htmx has finished, what forms it has."""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar.routes import HTTPRoute

# Installed in every page before its own scripts: counts htmx's requests so a
# test can wait until the page has loaded its sections and finished swapping,
# and keeps what htmx complained about for the failure message.
WATCH_HTMX = """
(() => {
  const state = window.__walk = {last: 0, htmxErrors: []};
  const bump = () => { state.last = performance.now(); };
  for (const name of ['htmx:beforeRequest', 'htmx:afterRequest', 'htmx:afterSwap', 'htmx:afterSettle',
                      'htmx:sendError', 'htmx:responseError']) {
    document.addEventListener(name, bump, true);
  }
  for (const name of ['htmx:targetError', 'htmx:swapError', 'htmx:sendError', 'htmx:oobErrorNoTarget']) {
    document.addEventListener(name, (event) => {
      const detail = event.detail || {};
      state.htmxErrors.push(name + (detail.target ? ' ' + String(detail.target.id || detail.target) : ''));
    }, true);
  }
})();
"""
# Quiet for 50 ms (htmx settles 20 ms after a swap), no request under way.
HTMX_IDLE = """() => document.readyState === 'complete' && window.__walk
  && !document.querySelector('.htmx-request') && performance.now() - window.__walk.last > 50"""


def settle(page, timeout: float = 15000) -> None:
    page.wait_for_function(HTMX_IDLE, timeout=timeout, polling=25)


def readable(template: str) -> str:
    """/patients/{patient_id:int} -> /patients/{patient_id}"""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", template)


class Routes:
    """The app's own route templates, to name a URL the way its controllers do."""

    def __init__(self, app):
        self.by_method: dict[str, list[tuple[re.Pattern, str]]] = {"GET": [], "POST": []}
        for route in app.routes:
            if not isinstance(route, HTTPRoute):
                continue
            methods = set().union(*(handler.http_methods for handler in route.route_handlers))
            for method in self.by_method:
                if method in methods:
                    self.by_method[method].append((self._pattern(route.path), route.path))
        for patterns in self.by_method.values():
            patterns.sort(key=lambda item: item[1].count("{"))  # /patients/new before /patients/{id}

    @staticmethod
    def _pattern(template: str) -> re.Pattern:
        parts, last = [], 0
        for match in re.finditer(r"\{(\w+):(\w+)\}", template):
            parts.append(re.escape(template[last:match.start()]))
            name, kind = match.groups()
            parts.append(f"(?P<{name}>" + {"int": r"\d+", "path": r".*"}.get(kind, r"[^/]+") + ")")
            last = match.end()
        parts.append(re.escape(template[last:]))
        return re.compile("^" + "".join(parts) + "$")

    def template(self, path: str, method: str = "GET") -> str | None:
        for pattern, template in self.by_method[method]:
            if pattern.match(path):
                return readable(template)
        return None

    def shape(self, path: str, method: str = "POST") -> str:
        """The route with its ids as names but its words kept: /patients/{patient_id}/chart/allergies."""
        for pattern, template in self.by_method[method]:
            match = pattern.match(path)
            if match:
                shaped = template
                for name, value in match.groupdict().items():
                    kind = re.search(r"\{" + name + r":(\w+)\}", template).group(1)
                    shaped = shaped.replace(f"{{{name}:{kind}}}", f"{{{name}}}" if kind == "int" else value)
                return shaped
        return re.sub(r"/\d+(?=/|$)", "/{id}", path)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # an input's type ("text", "email", "date"...), or "select", "textarea", "radio"
    inputmode: str = ""
    maxlength: int | None = None
    options: tuple[str, ...] = ()  # a select's or a radio group's values, in order

    @property
    def clearable(self) -> bool:
        return self.kind not in ("radio", "checkbox") and (self.kind != "select" or "" in self.options)

    @property
    def numeric(self) -> bool:
        return self.kind == "number" or self.inputmode in ("numeric", "decimal")


# The forms on the page that POST (plain or hx-post), with the path they post to.
POSTING_FORMS = """const postingForms = () => Array.from(document.querySelectorAll('form')).flatMap((form) => {
  const hxPost = form.getAttribute('hx-post');
  if (!hxPost && (form.getAttribute('method') || 'get').toLowerCase() !== 'post') return [];
  return [[form, new URL(hxPost || form.getAttribute('action') || location.pathname, location.href).pathname]];
});"""

# Every form on the page that POSTs, with its editable fields.
READ_FORMS = "() => {" + POSTING_FORMS + """
  return postingForms().map(([form, action]) => {
  const hxPost = form.getAttribute('hx-post');
  const fields = [];
  for (const el of form.elements) {
    const kind = el.tagName === 'SELECT' ? 'select' : el.tagName === 'TEXTAREA' ? 'textarea'
      : (el.getAttribute('type') || 'text').toLowerCase();
    if (!el.name || el.disabled || el.readOnly || el.tagName === 'BUTTON'
        || ['hidden', 'submit', 'button', 'reset', 'image', 'file'].includes(kind)) continue;
    const options = kind === 'select' ? Array.from(el.options).filter((o) => !o.disabled).map((o) => o.value)
      : kind === 'radio' ? [el.value] : [];
    fields.push({name: el.name, kind, inputmode: el.getAttribute('inputmode') || '',
                 maxlength: el.maxLength > 0 ? el.maxLength : null, options});
  }
  const target = form.getAttribute('hx-target') || '';
  const targetElement = target.startsWith('#') ? document.getElementById(target.slice(1)) : null;
  const outside = !!targetElement && !targetElement.contains(form) && targetElement.id !== 'alerts';
  return {action, htmx: !!hxPost, target, select: form.getAttribute('hx-select') || '',
          swap: form.getAttribute('hx-swap') || '', outside, fields};
})}"""


def fields_of(raw: list[dict]) -> tuple[Field, ...]:
    """One Field per name: a radio group's buttons become one field with their values as options."""
    fields: dict[str, Field] = {}
    for item in raw:
        known = fields.get(item["name"])
        if known and known.kind == "radio":
            fields[item["name"]] = Field(known.name, "radio", options=known.options + tuple(item["options"]))
        elif not known:
            fields[item["name"]] = Field(item["name"], item["kind"], item["inputmode"], item["maxlength"],
                                         tuple(item["options"]))
    return tuple(fields.values())


def session_cookie(base_url: str, token: str) -> list[dict]:
    from clinic.security.sessions import cookie_name

    return [{"name": cookie_name(False), "value": token, "url": base_url}]


def signed_in_context(browser, base_url: str, token: str, *, width: int = 1280, **options):
    """A fresh browser profile carrying a session cookie, watching htmx, accepting every confirm()."""
    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    context.add_init_script(WATCH_HTMX)
    context.add_cookies(session_cookie(base_url, token))
    context.on("page", lambda page: page.on("dialog", lambda dialog: dialog.accept()))
    return context
