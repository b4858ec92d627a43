"""The staff list: search, filters, sorting, pages, who cannot sign in for now."""

from __future__ import annotations

from tests.factories import make_staff, sign_in_as
from tests.helpers import html, is_fragment, one, texts


def test_the_list_searches_filters_sorts_and_pages(harness, client):
    sign_in_as(harness, "admin", name="Zed Admin")
    for n in range(30):
        harness.run(make_staff, "nurse" if n % 2 else "doctor", name=f"Person {n:02d} Smith")
    harness.run(make_staff, "billing", name="Inactive Ingrid", active=False)
    first = html(client.get("/admin/staff?sort=name"))
    assert len(first.css("tr[data-staff-id]")) == 25
    assert "Page 1 of 2" in first.css_first(".pagination").text()
    second = html(client.get("/admin/staff?sort=name&page=2"))
    assert len(second.css("tr[data-staff-id]")) == 6
    fragment = client.get("/admin/staff?q=person 0&role=doctor", headers={"HX-Request": "true"})
    assert is_fragment(fragment)
    names = texts(html(fragment), "tr[data-staff-id] td a")
    assert names == ["Person 00 Smith", "Person 02 Smith", "Person 04 Smith", "Person 06 Smith", "Person 08 Smith"]
    inactive = html(client.get("/admin/staff?status=inactive"))
    assert texts(inactive, "tr[data-staff-id] td a") == ["Inactive Ingrid"]
    empty = html(client.get("/admin/staff?q=nobody-by-this-name"))
    assert one(empty, ".empty").text() == "Nobody matches these filters."


def test_unknown_sort_and_filter_values_are_ignored_not_run(harness, client):
    sign_in_as(harness, "admin")
    for evil in ("name;DROP TABLE staff", "(SELECT 1)", "id desc", "-last_sign_in_at"):
        response = client.get("/admin/staff", params={"sort": evil, "role": evil, "status": evil})
        assert response.status_code == 200
    assert harness.sql("SELECT COUNT(*) AS n FROM staff")[0]["n"] == 1


def test_staff_names_are_escaped(harness, client):
    sign_in_as(harness, "admin")
    harness.run(make_staff, "nurse", name='Eve "><img src=x onerror=alert(1)>')
    page = client.get("/admin/staff")
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_the_staff_list_shows_who_cannot_sign_in_for_now(harness, client):
    from clinic.security import throttle

    sign_in_as(harness, "admin")
    locked = harness.run(make_staff, "nurse")
    harness.run(make_staff, "doctor")
    harness.run(throttle.note_failure, throttle.account_key(locked["email"]), 1, fixed_pause=throttle.CEILING_PAUSE)
    tree = html(client.get("/admin/staff"))
    paused = {row.attributes["data-staff-id"] for row in tree.css("tr[data-staff-id]")
              if row.css_first("[data-testid=locked]") is not None}
    assert paused == {str(locked["id"])}

