"""The client address behind trusted proxies: what throttling and the audit trail count."""

from __future__ import annotations

import httpx

from tests.helpers import html


async def sign_in_with_forwarded_lines(app, lines: list[str]) -> int:
    """A wrong sign-in whose request carries each of ``lines`` as its own
    X-Forwarded-For header, as a proxy that adds a line (not a comma) sends it.

    Litestar's TestClient merges repeated headers into one, so this goes
    through httpx's ASGI transport, which passes them on as they are."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as browser:
        page = await browser.get("/signin")
        token = html(page).css_first("input[name=_csrf_token]").attributes["value"]
        response = await browser.post(
            "/signin", data={"email": "nobody@riverside-clinic.org", "password": "not the password", "_csrf_token": token},
            headers=[("x-forwarded-for", line) for line in lines])
        return response.status_code


def failed_sign_in_addresses(harness) -> list[str]:
    rows = harness.audit("action = 'auth.login_failed'", columns="client_address")
    return [row["client_address"] for row in rows]


def test_every_forwarded_for_line_is_read_before_counting_hops(proxied):
    # The client sends its own line; the proxy adds another with the address it saw.
    assert proxied.run(sign_in_with_forwarded_lines, proxied.app, ["6.6.6.6", "203.0.113.9"]) == 422
    assert failed_sign_in_addresses(proxied) == ["203.0.113.9"]


def test_lines_and_commas_are_read_in_order(proxied):
    assert proxied.run(sign_in_with_forwarded_lines, proxied.app, ["6.6.6.6, 7.7.7.7", "203.0.113.10"]) == 422
    assert proxied.run(sign_in_with_forwarded_lines, proxied.app, ["6.6.6.6", "7.7.7.7, 203.0.113.11"]) == 422
    assert failed_sign_in_addresses(proxied) == ["203.0.113.10", "203.0.113.11"]
