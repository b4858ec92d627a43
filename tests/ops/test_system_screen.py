"""System: administrators see version, uptime, the database, background work, backups, the outbox and recent errors."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.params import FromPath

from clinic import __version__
from tests.conftest import harness_for
from tests.factories import make_patient, sign_in_as
from tests.helpers import html, is_fragment, one, texts


@pytest.fixture
def broken(make_app, backend):
    """An app with a route that fails with PHI in its message."""
    app = make_app()

    @get("/boom/{patient_id:int}", name="test:boom", sync_to_thread=False, opt={"public": True})
    def boom(patient_id: FromPath[int]) -> str:
        raise RuntimeError("patient Jane Doe exploded")

    app.register(boom)
    with harness_for(app, backend) as test_harness:
        yield test_harness


def fact(page, name: str) -> str:
    return one(page, f"[data-fact={name}]").text(strip=True)


def test_administrators_see_how_the_server_is_doing(harness, client):
    sign_in_as(harness, "admin")
    harness.run(make_patient)
    harness.run(make_patient)
    page = html(client.get("/admin/system"))
    assert one(page, "h1").text() == "System"
    assert one(page, "nav a[aria-current]").text(strip=True) == "System"
    assert fact(page, "version") == __version__
    assert fact(page, "reachable") == "yes"
    assert fact(page, "size").endswith("MB")
    rows = {row.attributes["data-table"]: row.css("td")[1].text() for row in page.css("#row-counts tr[data-table]")}
    assert rows["Patients"] == "2" and rows["Staff"] == "1"
    assert fact(page, "jobs-dead") == "0" and fact(page, "outbox-backlog") == "0"
    assert one(page, "[data-warning=backup]")  # no backup in this data folder
    assert "Background jobs" in texts(page, "#work-facts ~ p a")
    assert page.css("#recent-errors") == [] and "No server errors" in one(page, "#system-facts").text()


def test_htmx_gets_the_facts_alone(harness, client):
    sign_in_as(harness, "admin")
    response = client.get("/admin/system", headers={"HX-Request": "true"})
    assert response.status_code == 200 and is_fragment(response)
    assert html(response).css_first("#system-facts") is not None


def test_recent_errors_show_the_route_and_error_class_but_no_phi(broken):
    client = broken.client
    assert client.get("/boom/4711").status_code == 500
    sign_in_as(broken, "admin")
    response = client.get("/admin/system")
    assert "Jane Doe" not in response.text and "4711" not in response.text
    row = one(html(response), "#recent-errors tr[data-error-route]")
    assert row.attributes["data-error-route"] == "/boom/{patient_id}"
    assert "RuntimeError" in row.text() and "500" in row.text()


@pytest.mark.parametrize("role", ["doctor", "receptionist", "billing"])
def test_other_roles_may_not_see_it(harness, client, role):
    sign_in_as(harness, role)
    assert client.get("/admin/system").status_code == 403
    assert "System" not in texts(html(client.get("/")), "nav a")
