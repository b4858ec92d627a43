"""Debian's Chromium, driven by Playwright: where it is, how it starts, what happens without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CLINIC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_missing() -> str | None:
    if Path(CHROMIUM).exists():
        return None
    return f"{CHROMIUM} not found (apt-get install chromium)"


def require_chromium() -> None:
    reason = chromium_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests are mandatory in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
