"""One template per screen; its named blocks double as HTMX fragments.

``render(request, "patients/list.html", context, block="patient_rows")``
answers a normal request (and a boosted one, and an htmx history restore)
with the whole page, and any other HTMX request with just that block. Every
such answer carries ``Vary: HX-Request`` so a cache never mixes the two up.

The one rule that keeps htmx from blanking a screen: **a block includes its
own wrapper element**, whose id is the ``hx-target`` of whatever asks for it,
and is swapped ``outerHTML`` (htmx's default here). ``Page`` checks it: a
fragment that does not contain the element htmx will look for fails loudly in
development and tests and is logged in production.

After a change, ``notice`` shows a short confirmation in the page's live
region (``#alerts``): inside a full page, or out of band beside a fragment;
``navigate()`` carries it across a redirect in a one-shot cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import structlog
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import NoRouteMatchFoundException
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.response.base import ASGIResponse
from markupsafe import Markup

from clinic.web.navigation import navigation

FRAGMENT_VARY = {"Vary": "HX-Request"}
FLASH_COOKIE = "clinic_notice"
logger = structlog.get_logger("clinic.pages")


class FragmentMismatch(RuntimeError):
    """A fragment lacks the element htmx swaps it into (the screen would blank)."""


def wants_fragment(request: Request) -> bool:
    """An HTMX request that will swap part of a page (not a boosted navigation)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def alerts_markup(notice: str = "", error: str = "") -> Markup:
    """The messages for ``#alerts``: a confirmation (status) or a problem (alert)."""
    parts = []
    if notice:
        parts.append(Markup('<p class="alert alert-ok" role="status">{}</p>').format(notice))
    if error:
        parts.append(Markup('<p class="alert alert-error" role="alert">{}</p>').format(error))
    return Markup("").join(parts)


class Page(Template):
    """A Template that can render one named block instead of the whole page."""

    __slots__ = ("block", "notice", "error")

    def __init__(self, template_name: str, *, block: str | None = None, notice: str = "", error: str = "",
                 **kwargs: Any):
        super().__init__(template_name, **kwargs)
        self.block = block
        self.notice = notice
        self.error = error

    def create_template_context(self, request: Request) -> dict[str, Any]:
        context = super().create_template_context(request)
        user = request.scope.get("user")
        settings = request.app.state.settings
        context.setdefault("current_user", user)
        context.setdefault("nav", navigation(user, request.url.path, lambda name: route_or_none(request, name)))
        context.setdefault("idle_seconds", settings.session_idle_minutes * 60)
        context.setdefault("warning_seconds", settings.session_warning_seconds)
        context["csrf_field"] = Markup(context.get("csrf_input", ""))
        state = request.app.state
        context.setdefault("clinic_name", getattr(state, "clinic_name", None) or "Clinic")
        context.setdefault("clinic_contact", getattr(state, "clinic_contact", ""))
        notice = self.notice
        if self.block is None and not notice:
            # A confirmation carried across a redirect (see navigate()).
            notice = unquote(request.cookies.get(FLASH_COOKIE, ""))[:200]
            if notice:
                self.cookies.append(Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/", httponly=True,
                                           samesite="lax", secure=settings.is_production))
        context["page_alerts"] = alerts_markup(notice, self.error)
        return context

    def to_asgi_response(self, app, request, **kwargs) -> ASGIResponse:  # type: ignore[override]
        if self.block is None:
            return super().to_asgi_response(app, request, **kwargs)
        engine = request.app.template_engine
        template = engine.get_template(self.template_name)
        if self.block not in template.blocks:
            raise LookupError(f"{self.template_name} has no block {self.block!r}")
        context = template.new_context(self.create_template_context(request))
        body = "".join(template.blocks[self.block](context))
        check_fragment_target(request, self.template_name, self.block, body, self.headers.get("HX-Retarget", ""))
        if self.notice or self.error:
            # Out of band into the live region: announced, and the swapped
            # section itself stays exactly what it was asked to be.
            body += f'<div hx-swap-oob="innerHTML:#alerts">{alerts_markup(self.notice, self.error)}</div>'
        headers = {**(kwargs.get("headers") or {}), **self.headers}
        return ASGIResponse(
            body=body.encode(self.encoding),
            cookies=[*self.cookies, *(kwargs.get("cookies") or [])],
            headers=headers,
            encoded_headers=kwargs.get("encoded_headers"),
            media_type="text/html",
            status_code=self.status_code,
            background=self.background or kwargs.get("background"),
            is_head_response=kwargs.get("is_head_response", False),
        )


def route_or_none(request: Request, name: str) -> str | None:
    try:
        return request.app.route_reverse(name)
    except NoRouteMatchFoundException:  # a screen this build does not have
        return None


def check_fragment_target(request: Request, template_name: str, block: str, body: str, retarget: str = "") -> None:
    """The element htmx swaps the fragment into must be in it (it replaces itself)."""
    target = retarget.lstrip("#") or (request.htmx.target if request.htmx else None)
    if not target or target == "alerts" or f'id="{target}"' in body:
        return
    message = f"{template_name} block {block!r} has no element #{target}: htmx would swap in nothing"
    if request.app.state.settings.is_production:
        logger.warning("fragment without its target", template=template_name, block=block, target=target)
        return
    raise FragmentMismatch(message)


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    notice: str = "",
    error: str = "",
) -> Page:
    """The page, or the named block of it for an HTMX request."""
    return Page(
        template_name,
        block=block if block and wants_fragment(request) else None,
        context=context or {},
        status_code=status_code,
        headers={**FRAGMENT_VARY, **(headers or {})},
        media_type="text/html",
        notice=notice,
        error=error,
    )


def navigate(request: Request, location: str, *, notice: str = "") -> Response:
    """After a successful POST, go to ``location``: htmx follows HX-Redirect,
    a plain form gets a 303. ``notice`` (no patient data in it) is shown there."""
    response: Response = ClientRedirect(location) if request.htmx else Redirect(location, status_code=303)
    if notice:
        response.set_cookie(key=FLASH_COOKIE, value=quote(notice), max_age=60, path="/", httponly=True,
                            samesite="lax", secure=request.app.state.settings.is_production)
    return response
