"""One template per screen; its named blocks double as HTMX fragments.

``render(request, "patients/list.html", context, block="patient_rows")``
answers a normal request (and a boosted one, and an htmx history restore)
with the whole page, and any other HTMX request with just that block. Every
such answer carries ``Vary: HX-Request`` so a cache never mixes the two up.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template
from litestar.response.base import ASGIResponse

from clinic.web.navigation import navigation

FRAGMENT_VARY = {"Vary": "HX-Request"}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def wants_fragment(request: Request) -> bool:
    """An HTMX request that will swap part of a page (not a boosted navigation)."""
    headers = request.headers
    return (
        is_htmx(request)
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


class Page(Template):
    """A Template that can render one named block instead of the whole page."""

    __slots__ = ("block",)

    def __init__(self, template_name: str, *, block: str | None = None, **kwargs: Any):
        super().__init__(template_name, **kwargs)
        self.block = block

    def create_template_context(self, request: Request) -> dict[str, Any]:
        context = super().create_template_context(request)
        user = request.scope.get("user")
        settings = request.app.state.settings
        context.setdefault("current_user", user)
        context.setdefault("nav", navigation(user, request.url.path))
        context.setdefault("idle_seconds", settings.session_idle_minutes * 60)
        context.setdefault("warning_seconds", settings.session_warning_seconds)
        return context

    def to_asgi_response(self, app, request, **kwargs) -> ASGIResponse:  # type: ignore[override]
        if self.block is None:
            return super().to_asgi_response(app, request, **kwargs)
        engine = request.app.template_engine
        template = engine.get_template(self.template_name)
        if self.block not in template.blocks:
            raise LookupError(f"{self.template_name} has no block {self.block!r}")
        context = template.new_context(self.create_template_context(request))
        body = "".join(template.blocks[self.block](context)).encode(self.encoding)
        headers = {**(kwargs.get("headers") or {}), **self.headers}
        return ASGIResponse(
            body=body,
            cookies=[*self.cookies, *(kwargs.get("cookies") or [])],
            headers=headers,
            encoded_headers=kwargs.get("encoded_headers"),
            media_type="text/html; charset=utf-8",
            status_code=self.status_code,
            background=self.background or kwargs.get("background"),
            is_head_response=kwargs.get("is_head_response", False),
        )


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Page:
    """The page, or the named block of it for an HTMX request."""
    return Page(
        template_name,
        block=block if block and wants_fragment(request) else None,
        context=context or {},
        status_code=status_code,
        headers={**FRAGMENT_VARY, **(headers or {})},
        media_type="text/html; charset=utf-8",
    )


def fragment(
    request: Request,
    template_name: str,
    block: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Page:
    """Always just the block (for routes that only ever serve HTMX swaps)."""
    return Page(
        template_name,
        block=block,
        context=context or {},
        status_code=status_code,
        headers={**FRAGMENT_VARY, **(headers or {})},
        media_type="text/html; charset=utf-8",
    )
