"""Static files: from memory, gzipped once, behind content-hash URLs, cached for a year."""

from __future__ import annotations

import gzip
import hashlib
import re

from clinic.paths import STATIC_DIR
from clinic.web.static import StaticAssets
from tests.helpers import html

HASHED_CSS = re.compile(r"/static/app\.([0-9a-f]{12})\.css")


def stylesheet_url(client) -> str:
    return html(client.get("/signin")).css_first("link[rel=stylesheet]").attributes["href"]


def test_pages_link_static_files_by_their_content_hash(client):
    url = stylesheet_url(client)
    match = HASHED_CSS.fullmatch(url)
    assert match
    assert match.group(1) == hashlib.sha256((STATIC_DIR / "app.css").read_bytes()).hexdigest()[:12]
    scripts = [node.attributes["src"] for node in html(client.get("/signin")).css("script[src]")]
    assert all(re.fullmatch(r"/static/[\w./-]+\.[0-9a-f]{12}\.js", src) for src in scripts), scripts


def test_a_hashed_url_is_cached_for_a_year_and_never_revalidated(client):
    response = client.get(stylesheet_url(client), headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.content == (STATIC_DIR / "app.css").read_bytes()
    assert "content-encoding" not in response.headers


def test_gzip_is_served_to_a_browser_that_accepts_it(client):
    url = stylesheet_url(client)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    # httpx decodes it; the bytes on the wire are the smaller gzip copy
    assert response.content == (STATIC_DIR / "app.css").read_bytes()
    assert int(response.headers["content-length"]) < len(response.content)


def test_gzip_refused_with_a_zero_quality_is_not_sent(client):
    response = client.get(stylesheet_url(client), headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in response.headers


def test_the_etag_answers_a_revalidation_with_304_and_no_body(client):
    url = stylesheet_url(client)
    etag = client.get(url).headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"0123456789ab"'}).status_code == 200


def test_the_plain_name_is_served_but_revalidated_each_time(client):
    response = client.get("/static/vendor/htmx-LICENSE.txt")
    assert response.status_code == 200
    assert response.text.startswith("Zero-Clause BSD")
    assert response.headers["cache-control"] == "public, no-cache"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_an_unknown_file_or_an_old_hash_is_404(client):
    assert client.get("/static/no-such-file.css").status_code == 404
    assert client.get("/static/app.0123456789ab.css").status_code == 404
    assert client.get("/static/../clinic/settings.py").status_code == 404
    assert client.get("/static/vendor/").status_code == 404


def test_head_answers_the_headers_alone(client):
    url = stylesheet_url(client)
    response = client.head(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == len((STATIC_DIR / "app.css").read_bytes())


def test_static_files_carry_the_security_headers_and_no_cookie(client):
    response = client.get(stylesheet_url(client))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in response.headers


def test_each_text_file_is_compressed_once_at_start_up(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black; }\n" * 40)
    (tmp_path / "tiny.css").write_text("a{}")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG" + bytes(400))
    assets = StaticAssets(tmp_path)
    assert gzip.decompress(assets.assets["site.css"].gzipped) == (tmp_path / "site.css").read_bytes()
    assert assets.assets["tiny.css"].gzipped is None  # smaller than gzip's own overhead
    assert assets.assets["logo.png"].gzipped is None  # images are compressed already
    assert assets.url("site.css") == f"/static/site.{assets.assets['site.css'].digest}.css"


def test_in_development_an_edited_file_gets_a_new_url(tmp_path):
    import os

    path = tmp_path / "app.css"
    path.write_text("a { color: red; }")
    assets = StaticAssets(tmp_path, watch=True)
    before = assets.url("app.css")
    path.write_text("a { color: blue; }")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    after = assets.url("app.css")
    assert before != after
    status, _, body = assets.response(after.removeprefix("/static/"), {})
    assert (status, body) == (200, b"a { color: blue; }")
    assert assets.response(before.removeprefix("/static/"), {})[0] == 404


def test_the_readmes_screenshots_are_not_kept_in_memory_or_served(client):
    assert client.get("/static/readme/book.png").status_code == 404
