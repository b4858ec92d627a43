"""The permission page: what each role may do, read-only and in plain words."""

from __future__ import annotations

from tests.factories import sign_in_as
from tests.helpers import html


def test_the_permission_matrix_is_shown_read_only(harness, client):
    from clinic.admin.security_controllers import permissions_in_use
    from clinic.security.permissions import MATRIX, Role

    sign_in_as(harness, "admin")
    tree = html(client.get("/admin/permissions"))
    in_use = permissions_in_use(harness.app)
    for role in Role:
        allowed = {row.attributes["data-permission"] for row in tree.css("tr[data-permission]")
                   if row.css_first(f"td[data-role={role.value}] .yes") is not None}
        assert allowed == set(MATRIX[role]) & in_use
    assert tree.css("main form") == []  # nothing to change here


def test_the_permission_page_lists_only_what_the_clinic_can_do_and_speaks_plainly(harness, client):
    sign_in_as(harness, "admin")
    tree = html(client.get("/admin/permissions"))
    listed = {row.attributes["data-permission"] for row in tree.css("tr[data-permission]")}
    # Every permission names something built (billing and claims write invoices and claims now).
    assert {"patients.read", "clinical.read", "staff.manage", "prescriptions.write", "billing.write"} <= listed
    text = tree.css_first("main").text()
    assert ".py" not in text and "clinical.read" not in text
