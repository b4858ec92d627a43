"""Security headers on every response, errors and unmatched routes included.

Added in a ``before_send`` hook rather than a middleware: Litestar runs
middleware only for matched routes, so a 404 or 405 would go out bare.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def security_headers_hook(production: bool):
    headers = dict(BASE_HEADERS)
    if production:
        headers["Strict-Transport-Security"] = HSTS

    async def add_security_headers(message, scope) -> None:
        if message["type"] != "http.response.start":
            return
        response_headers = MutableScopeHeaders.from_message(message)
        for name, value in headers.items():
            response_headers[name] = value
        content_type = response_headers.get("content-type", "")
        if "cache-control" not in response_headers and not content_type.startswith(("text/css", "text/javascript", "application/javascript", "image/", "font/")):
            # Pages and JSON may show PHI: never keep them in a shared or disk cache.
            response_headers["Cache-Control"] = "no-store"

    return add_security_headers
