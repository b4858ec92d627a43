"""The web shell: pages and fragments, headers on everything, errors, static files."""

from __future__ import annotations

import re

import pytest
from litestar import get
from litestar.testing import TestClient

from tests.factories import sign_in_as
from tests.helpers import html, is_fragment, one

PRODUCTION = {
    "CLINIC_ENV": "production",
    "CLINIC_SECRET_KEY": "Zq8#mK2$vL9@pR4!tW7^yB3&nC6*xF1(hJ5)",
    "CLINIC_AUDIT_KEY": "Au8#dK2$vL9@pR4!tW7^yB3&nC6*xF1(hJ5)",
}

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def assert_security_headers(response, *, hsts: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert ("strict-transport-security" in response.headers) is hsts


def test_it_serves_the_today_page_as_a_full_page(harness, client):
    sign_in_as(harness, "receptionist")
    response = client.get("/")
    assert response.status_code == 200
    tree = html(response)
    assert tree.css_first("html[lang=en]") is not None
    assert one(tree, "main#main").css_first("h1").text() == "Today"
    assert tree.css_first("a.skip-link[href='#main']") is not None
    assert "HX-Request" in response.headers["vary"]


def test_it_serves_only_the_named_block_to_htmx(harness, client):
    sign_in_as(harness, "receptionist")
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert is_fragment(response)
    assert html(response).css_first(".empty").text() == "No appointments today."


def test_a_boosted_request_gets_the_full_page(harness, client):
    sign_in_as(harness, "receptionist")
    response = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert not is_fragment(response)


def test_pages_load_no_inline_script_and_configure_htmx_safely(harness, client):
    sign_in_as(harness, "receptionist")
    tree = html(client.get("/"))
    scripts = tree.css("script")
    assert scripts and all(node.attributes.get("src", "").startswith("/static/") for node in scripts)
    assert not [node for node in tree.css("*") if any(name.startswith("on") for name in node.attributes)]
    config = tree.css_first("meta[name=htmx-config]").attributes["content"]
    for setting in ('"historyCacheSize":0', '"selfRequestsOnly":true', '"allowEval":false', '"allowScriptTags":false'):
        assert setting in config
    assert tree.css_first("body").attributes.get("hx-history") == "false"


@pytest.mark.parametrize("path,status", [("/signin", 200), ("/", 303), ("/health", 200), ("/no-such-page", 404),
                                         ("/static/app.css", 200)])
def test_every_response_has_the_security_headers(client, path, status):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == status
    assert_security_headers(response)


def test_a_wrong_method_is_refused_with_headers(client):
    response = client.put("/", headers={"X-CSRFToken": "x"})
    assert response.status_code in (403, 405)
    assert_security_headers(response)


def test_production_adds_hsts_and_a_secure_csrf_cookie(make_app):
    app = make_app(**PRODUCTION)
    with TestClient(app, base_url="https://clinic.example") as client:
        response = client.get("/signin")
    assert_security_headers(response, hsts=True)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-csrftoken=") and "Secure" in cookie and "HttpOnly" in cookie


def test_a_missing_page_is_a_full_page_or_an_htmx_fragment(client):
    page = client.get("/missing")
    assert page.status_code == 404 and not is_fragment(page)
    assert one(html(page), ".alert-error strong").text() == "Not found"

    fragment = client.get("/missing", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and is_fragment(fragment)
    assert fragment.headers["hx-retarget"] == "#alerts"
    assert one(html(fragment), "[role=alert]").attributes["data-status"] == "404"


def _broken_app(make_app, **environ):
    app = make_app(**environ)

    @get("/boom", name="test:boom", sync_to_thread=False, opt={"public": True})
    def boom() -> str:
        raise RuntimeError("patient Jane Doe exploded")  # a message with PHI in it

    app.register(boom)
    return app


def test_a_500_in_production_shows_no_traceback(make_app, capsys):
    app = _broken_app(make_app, **PRODUCTION)
    with TestClient(app) as client:
        response = client.get("/boom")
        fragment = client.get("/boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert "Traceback" not in response.text and "Jane Doe" not in response.text
    assert one(html(response), ".alert-error strong").text() == "Something went wrong"
    assert_security_headers(response, hsts=True)
    assert fragment.status_code == 500 and is_fragment(fragment)
    logged = capsys.readouterr().out
    assert "RuntimeError" in logged and "Jane Doe" not in logged


def test_a_500_in_development_shows_the_traceback(make_app):
    with TestClient(_broken_app(make_app)) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Traceback" in html(response).css_first("pre.trace").text()


def test_static_files_are_cached_for_a_year_behind_content_hashes(client):
    tree = html(client.get("/signin"))
    css_url = tree.css_first("link[rel=stylesheet]").attributes["href"]
    assert re.fullmatch(r"/static/app\.[0-9a-f]{12}\.css", css_url)
    response = client.get(css_url)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["cache-control"] and "immutable" in response.headers["cache-control"]
    assert response.headers.get("etag")


def test_htmx_is_vendored_with_its_version_and_licence(client):
    script = [node.attributes["src"] for node in html(client.get("/signin")).css("script")]
    assert any(re.fullmatch(r"/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js", src) for src in script)
    assert client.get("/static/vendor/htmx-LICENSE.txt").text.startswith("Zero-Clause BSD")


def test_responses_are_compressed(client):
    response = client.get("/static/vendor/htmx-2.0.11.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


def test_pages_are_never_cached_by_the_browser(harness, client):
    sign_in_as(harness, "receptionist")
    assert client.get("/").headers["cache-control"] == "no-store"


def test_one_log_line_per_request_without_query_strings(harness, client, capsys):
    staff = sign_in_as(harness, "receptionist")
    capsys.readouterr()
    client.get("/?name=Jane+Doe&dob=1980-01-01")
    client.get("/patients/Jane-Doe")
    lines = [line for line in capsys.readouterr().out.splitlines() if "request" in line and "method" in line]
    assert len(lines) == 2
    assert "Jane" not in "".join(lines) and "1980" not in "".join(lines)
    assert "route=/ " in lines[0] + " " and "status=200" in lines[0] and "duration_ms=" in lines[0]
    assert f"user_id={staff['id']}" in lines[0]
    assert "route=(unmatched)" in lines[1] and "status=404" in lines[1]
