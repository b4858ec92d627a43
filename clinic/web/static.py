"""Static files: read once, compressed once, served from memory behind content-hash URLs.

Every file under static/ is read at start-up with its SHA-256 (the first 12
hex digits name the version) and, for text (CSS, JavaScript, SVG, plain text),
a gzip copy made once at the highest level. A request then costs a dictionary
look-up: no file system, no compression per request (Litestar's compression
middleware is told to leave these responses alone).

- Templates link ``static_url("app.css")`` = ``/static/app.<hash>.css``: a new
  file is a new URL, so that URL may be cached for a year, ``immutable``. A
  hash that is not the file's current one is a 404, never today's file under
  yesterday's name (a year-long cache would keep the mix).
- The plain name (``/static/app.css``, the README's image, a licence file)
  is served too, revalidated on each use (``no-cache``) against its ETag.
- ``If-None-Match`` with the current ETag answers 304; ``Vary:
  Accept-Encoding`` on what has a gzip copy; HEAD answers the headers alone.
- Brotli would save a few more kilobytes; no Brotli library is installed, so gzip.

In development (``watch``) a file changed on disk is read again when its URL
is built, so an edited stylesheet shows on the next page load.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from litestar import Request, route
from litestar.params import FromPath
from litestar.response.base import ASGIResponse

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
REVALIDATE = "public, no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml", "application/json")
# Smaller than this, gzip's header and the Vary header cost more than they save.
MINIMUM_GZIP = 256
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
         ".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2"}
# app.0123456789ab.css, vendor/htmx-2.0.11.min.0123456789ab.js
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    name: str
    digest: str
    content_type: str
    body: bytes
    gzipped: bytes | None
    mtime: float

    @property
    def hashed_name(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}.{suffix}" if dot else f"{self.name}.{self.digest}"

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def read_asset(directory: Path, name: str) -> Asset:
    path = directory / name
    mtime = path.stat().st_mtime
    body = path.read_bytes()
    suffix = path.suffix.lower()
    content_type = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    gzipped = None
    if content_type.startswith(COMPRESSIBLE) and len(body) >= MINIMUM_GZIP:
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    return Asset(name=name, digest=hashlib.sha256(body).hexdigest()[:12], content_type=content_type, body=body,
                 gzipped=gzipped, mtime=mtime)


@lru_cache(maxsize=4)
def static_assets(directory: Path, *, watch: bool) -> "StaticAssets":
    """One in-memory copy per directory, shared by the templates' URLs and the route."""
    return StaticAssets(directory, watch=watch)


class StaticAssets:
    """The files under ``directory``, by name, in memory."""

    def __init__(self, directory: Path, *, watch: bool = False):
        self.directory = directory
        self.watch = watch
        self.assets: dict[str, Asset] = {}
        for root, _, files in os.walk(directory):
            for file in files:
                name = (Path(root) / file).relative_to(directory).as_posix()
                # The README's screenshots are for the repository's readers, not worth memory here.
                if not file.startswith(".") and not name.startswith("readme/"):
                    self.assets[name] = read_asset(directory, name)

    def get(self, name: str) -> Asset | None:
        asset = self.assets.get(name)
        if asset is not None and self.watch:
            try:
                if (self.directory / name).stat().st_mtime != asset.mtime:
                    asset = self.assets[name] = read_asset(self.directory, name)
            except FileNotFoundError:
                return None
        return asset

    def url(self, name: str) -> str:
        """``/static/<name with its content hash>``, for templates."""
        asset = self.get(name)
        if asset is None:
            raise LookupError(f"no static file {name!r}")
        return f"/static/{asset.hashed_name}"

    def find(self, path: str) -> tuple[Asset, bool] | None:
        """The asset a URL path (after /static/) names, and whether it named its current version."""
        asset = self.get(path)
        if asset is not None:
            return asset, False
        match = HASHED.match(path)
        if match:
            asset = self.get(match["stem"] + match["suffix"])
            if asset is not None and asset.digest == match["hash"]:
                return asset, True
        return None

    def response(self, path: str, headers) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body for GET ``/static/<path>`` with these request headers."""
        found = self.find(path)
        if found is None:
            return 404, [("content-type", "text/plain; charset=utf-8"), ("cache-control", "no-store")], b"Not found"
        asset, versioned = found
        answer = [("content-type", asset.content_type), ("etag", asset.etag),
                  ("cache-control", IMMUTABLE if versioned else REVALIDATE)]
        if asset.gzipped is not None:
            answer.append(("vary", "Accept-Encoding"))
        if _matches(headers.get("if-none-match", ""), asset.etag):
            return 304, answer, b""
        body = asset.body
        if asset.gzipped is not None and _accepts_gzip(headers.get("accept-encoding", "")):
            body = asset.gzipped
            answer.append(("content-encoding", "gzip"))
        return 200, answer, body


def _matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=")
            return not params or _positive(quality)
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False


def static_files_handler(assets: StaticAssets, *, opt: dict):
    """GET/HEAD ``/static/{file_path}`` from ``assets``: a route like any other, for the guard and the route walk."""

    @route("/static/{file_path:path}", http_method=["GET", "HEAD"], name="static", opt=opt, include_in_schema=False)
    async def static_file(request: Request, file_path: FromPath[str]) -> ASGIResponse:
        status, headers, body = assets.response(file_path.lstrip("/"), request.headers)
        if request.method == "HEAD":
            headers.append(("content-length", str(len(body))))
            return ASGIResponse(status_code=status, headers=headers, is_head_response=True)
        return ASGIResponse(body=body, status_code=status, headers=headers)

    return static_file
