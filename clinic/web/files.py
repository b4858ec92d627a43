"""Files sent to the browser: a download, or a PDF to open in the browser's viewer.

A PDF goes to the viewer only when its bytes begin as a PDF's do, whatever the
stored type says; anything else is sent as an attachment with a sandboxing policy.
"""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response

from clinic.web.security_headers import DOWNLOAD_CONTENT_SECURITY_POLICY, PDF_VIEW_CONTENT_SECURITY_POLICY

PDF_MAGIC = b"%PDF-"


def is_pdf(content: bytes) -> bool:
    return content[:1024].lstrip(b"\x00\t\n\r ").startswith(PDF_MAGIC)


def _disposition(kind: str, filename: str) -> str:
    # The plain name for old browsers (quotes and non-ASCII replaced), the exact one in filename*.
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def download(content: bytes, media_type: str, filename: str) -> Response:
    """Saved, never rendered from our origin."""
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": _disposition("attachment", filename),
        "Content-Security-Policy": DOWNLOAD_CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })


def pdf_view(content: bytes, filename: str) -> Response:
    """Opened in the browser's PDF viewer (which offers print and save); a download if it is not a PDF."""
    if not is_pdf(content):
        return download(content, "application/octet-stream", filename)
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": _disposition("inline", filename),
        "Content-Security-Policy": PDF_VIEW_CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })
