"""What a file is, by its content (puremagic), and its thumbnail.

Only PDF, PNG, JPEG and TIFF are accepted, whatever the file is called: a
PNG named ``scan.pdf`` is kept as the PNG it is, a program renamed
``letter.pdf`` is refused. Thumbnails are made server-side with Pillow
(installed with fpdf2), from the decoded image only, never for PDFs, and
never for an image larger than ``MAX_PIXELS`` (a decompression bomb).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import puremagic

ACCEPTED = {
    "application/pdf": ("pdf", "PDF"),
    "image/png": ("png", "PNG image"),
    "image/jpeg": ("jpg", "JPEG image"),
    "image/tiff": ("tif", "TIFF image"),
}
# What puremagic must have seen at the very start of the file for each type.
LEADING = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}
THUMBNAIL_SIZE = (160, 160)
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Kind:
    media_type: str
    extension: str
    label: str


def identify(data: bytes) -> Kind | None:
    """The accepted kind this content is, or None (anything else, or not recognised)."""
    if not data:
        return None
    try:
        matches = puremagic.magic_string(data[:8192])
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = max(match.confidence for match in matches)
    for match in matches:
        media_type = match.mime_type
        if match.confidence == best and media_type in ACCEPTED and data.startswith(LEADING[media_type]):
            extension, label = ACCEPTED[media_type]
            return Kind(media_type, extension, label)
    return None


def thumbnail(data: bytes, kind: Kind) -> bytes | None:
    """A small PNG of an image, or None (a PDF, an unreadable or enormous image)."""
    if not kind.media_type.startswith("image/"):
        return None
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with fpdf2
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.draft("RGB", THUMBNAIL_SIZE)
                image.thumbnail(THUMBNAIL_SIZE)
                small = image.convert("RGB")
                out = io.BytesIO()
                small.save(out, "PNG", optimize=True)
                return out.getvalue()
    except Exception:  # noqa: BLE001 - any image Pillow cannot read simply gets the plain icon
        return None
