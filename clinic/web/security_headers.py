"""Security headers on every response, errors and unmatched routes included.

Added in a ``before_send`` hook rather than a middleware: Litestar runs
middleware only for matched routes, so a 404 or 405 would go out bare.

Every text and JSON response says ``charset=utf-8`` exactly once: Litestar
appends one to any ``text/*`` media type, even one that already has it
(``text/csv; charset=utf-8; charset=utf-8``), and none to JSON.
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

# A file a person attached (a document) is sent with this instead: no script, no plugin, no
# same-origin access, should a browser ever render it rather than save it.
DOWNLOAD_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"

# A PDF opened in the browser's own viewer. The viewer is a page drawn around the file that embeds it:
# the pages' ``object-src 'none'`` refuses that embed in browsers that apply the policy to it
# (crbug.com/271452), and ``sandbox`` stops some (Safari, older Chromium) showing it at all. Still no
# script from our origin: a PDF is only sent with this once its bytes start as a PDF's do, with
# ``nosniff``, so it is never read as a page.
PDF_VIEW_CONTENT_SECURITY_POLICY = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"

# A handler that set one of these keeps it: each is stricter than, or made for what, the pages' policy is not.
FILE_POLICIES = frozenset({DOWNLOAD_CONTENT_SECURITY_POLICY, PDF_VIEW_CONTENT_SECURITY_POLICY})

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


def with_one_utf8_charset(content_type: str) -> str:
    """``text/*`` and JSON with ``charset=utf-8`` once; other types, and another charset, as they are."""
    media_type, *params = [part.strip() for part in content_type.split(";")]
    lowered = media_type.lower()
    if not (lowered.startswith("text/") or lowered == "application/json" or lowered.endswith("+json")):
        return content_type
    charsets = {param.lower().replace('"', "") for param in params if param.lower().startswith("charset=")}
    if charsets - {"charset=utf-8"}:
        return content_type
    others = [param for param in params if param and not param.lower().startswith("charset=")]
    return "; ".join([media_type, *others, "charset=utf-8"])


def security_headers_hook(production: bool):
    headers = dict(BASE_HEADERS)
    if production:
        headers["Strict-Transport-Security"] = HSTS

    async def add_security_headers(message, scope) -> None:
        if message["type"] != "http.response.start":
            return
        response_headers = MutableScopeHeaders.from_message(message)
        for name, value in headers.items():
            if name == "Content-Security-Policy" and response_headers.get(name) in FILE_POLICIES:
                continue  # a file sent for download or for the PDF viewer keeps the policy made for it
            response_headers[name] = value
        content_type = response_headers.get("content-type", "")
        if content_type:
            content_type = with_one_utf8_charset(content_type)
            response_headers["Content-Type"] = content_type
        if "cache-control" not in response_headers and not content_type.startswith(("text/css", "text/javascript", "application/javascript", "image/", "font/")):
            # Pages and JSON may show PHI: never keep them in a shared or disk cache.
            response_headers["Cache-Control"] = "no-store"

    return add_security_headers
