"""Administrators review who broke the glass, when and why."""

from __future__ import annotations

from clinic.audit import break_glass
from clinic.audit.services import Actor
from tests.factories import make_staff, sign_in_as
from tests.helpers import html


def test_administrators_see_who_broke_the_glass_and_why(harness, client):
    staff = harness.run(make_staff, "receptionist", name="Rita Reception")
    actor = Actor(staff_id=staff["id"], role="receptionist")
    harness.run(break_glass.grant, staff["id"], 42, "clinical.read", "Ambulance crew asked for allergies", 60, actor)
    sign_in_as(harness, "admin")
    tree = html(client.get("/admin/break-glass"))
    rows = tree.css("tr[data-grant-id]")
    assert len(rows) == 1
    assert "Rita Reception" in rows[0].text() and "Ambulance crew asked for allergies" in rows[0].text()
    assert rows[0].css_first(".badge-active") is not None
