"""Deny by default: every registered route, anonymous and by every role without its permission."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from clinic.security.permissions import MATRIX, PERMISSIONS, SIGNED_IN, Role
from tests.factories import csrf_token, sign_in_as

# Routes anyone may use, by design (and nothing else).
PUBLIC = {"/health", "/signin", "/static/{file_path:path}",
          # A patient's signed confirm/cancel link and a provider's secret calendar address (clinic/reminders).
          "/r/{token:str}", "/calendar/{token:str}",
          # Prometheus scrapes with CLINIC_METRICS_TOKEN; 404 without the setting (clinic/ops/metrics.py).
          "/metrics"}


def every_endpoint(app):
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                yield route.path, method, handler


def concrete(path: str) -> str:
    """A real URL for a route template: every path parameter becomes 1."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_declares_who_may_use_it(app):
    undeclared, public = [], set()
    for path, method, handler in every_endpoint(app):
        opt = handler.opt
        if opt.get("public"):
            public.add(path)
        elif opt.get("permission") not in PERMISSIONS:
            undeclared.append(f"{method} {path}")
    assert undeclared == []
    assert public == PUBLIC


def test_anonymous_requests_are_sent_to_sign_in(harness):
    client = harness.client
    token = csrf_token(client)
    checked = 0
    for path, method, handler in every_endpoint(harness.app):
        if handler.opt.get("public"):
            continue
        url = concrete(path)
        page = client.request(method, url, headers={"X-CSRFToken": token}, follow_redirects=False)
        assert page.status_code == 303, f"{method} {path}: {page.status_code}"
        assert page.headers["location"].startswith("/signin?next="), f"{method} {path}"
        fragment = client.request(method, url, headers={"X-CSRFToken": token, "HX-Request": "true"},
                                  follow_redirects=False)
        assert fragment.status_code == 401, f"{method} {path} (htmx)"
        assert fragment.headers["hx-redirect"].startswith("/signin"), f"{method} {path} (htmx)"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_is_refused_what_it_may_not_do(harness, role):
    sign_in_as(harness, role)
    client = harness.client
    token = csrf_token(client)
    refused = 0
    for path, method, handler in every_endpoint(harness.app):
        permission = handler.opt.get("permission")
        if handler.opt.get("public") or permission in MATRIX[Role(role)]:
            continue
        url = concrete(path)
        page = client.request(method, url, headers={"X-CSRFToken": token}, follow_redirects=False)
        assert page.status_code == 403, f"{role}: {method} {path} gave {page.status_code}"
        fragment = client.request(method, url, headers={"X-CSRFToken": token, "HX-Request": "true"},
                                  follow_redirects=False)
        assert fragment.status_code == 403, f"{role}: {method} {path} (htmx)"
        refused += 1
    if role != Role.ADMIN:
        assert refused > 0
    # The refusals are in the audit trail, with the permission that was missing.
    denied = harness.audit("action = 'access.denied' AND role = {}", role, columns="id")
    assert len(denied) == refused * 2


def test_everyone_signed_in_has_the_basic_permission():
    assert all(SIGNED_IN in permissions for permissions in MATRIX.values())


def test_there_is_no_openapi_schema_to_browse(harness, client):
    sign_in_as(harness, "admin")
    for path in ("/schema", "/schema/openapi.json", "/schema/swagger"):
        assert client.get(path).status_code == 404
