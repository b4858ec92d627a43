"""Steps the browser tests share: signing in through the real forms."""

from __future__ import annotations

from tests.factories import PASSWORD


def sign_in(page, base_url: str, email: str, password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto(f"{base_url}/signin?next={next_path}")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_load_state("networkidle")
