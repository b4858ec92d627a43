"""Small helpers shared by the tests: parsing HTML, reading forms, running the clinic command."""

from __future__ import annotations

import os
import subprocess
import sys

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from tests.conftest import MYSQL_URL, TEST_AUDIT_KEY, TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY, TEST_SECRET


def html(response) -> HTMLParser:
    assert "text/html" in response.headers.get("content-type", ""), response.headers.get("content-type")
    return HTMLParser(response.text)


def texts(tree: HTMLParser, selector: str) -> list[str]:
    return [node.text(strip=True) for node in tree.css(selector)]


def one(tree: HTMLParser, selector: str) -> Node:
    nodes = tree.css(selector)
    assert len(nodes) == 1, f"expected one {selector!r}, found {len(nodes)}"
    return nodes[0]


def is_fragment(response) -> bool:
    lowered = response.text.lower()
    return "<html" not in lowered and "<body" not in lowered


def form_values(client, url: str, selector: str, **changes: str) -> dict[str, str]:
    """What the form at ``selector`` on the page at ``url`` sends as it stands, with ``changes``."""
    form = one(html(client.get(url)), selector)
    values = {}
    for node in form.css("input[name], select[name], textarea[name]"):
        name = node.attributes["name"]
        if name == "_csrf_token":
            continue
        if node.tag == "select":
            chosen = node.css_first("option[selected]")
            values[name] = chosen.attributes["value"] if chosen else ""
        elif node.tag == "textarea":
            values[name] = node.text()
        else:
            values[name] = node.attributes.get("value") or ""
    return {**values, **changes}


def clinic_environment(harness, **environ: str) -> dict[str, str]:
    """The environment of a clinic process on the suite's database with its keys."""
    settings = harness.app.state.settings
    url = f"sqlite:///{settings.database.path}" if settings.database.is_sqlite else MYSQL_URL
    return {**os.environ, "DATABASE_URL": url, "CLINIC_SECRET_KEY": TEST_SECRET, "CLINIC_AUDIT_KEY": TEST_AUDIT_KEY,
            "CLINIC_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS, "CLINIC_INDEX_KEY": TEST_INDEX_KEY,
            "CLINIC_DATA_DIR": str(settings.data_dir), **environ}


def run_clinic(harness, *args: str, **environ: str) -> subprocess.CompletedProcess:
    """The clinic command as a real process, on the suite's database with its keys
    (``environ`` overrides them, e.g. CLINIC_ENCRYPTION_KEYS for a rotation)."""
    env = clinic_environment(harness, **environ)
    return subprocess.run([sys.executable, "-m", "clinic", *args], env=env, capture_output=True, text=True,
                          timeout=120)
