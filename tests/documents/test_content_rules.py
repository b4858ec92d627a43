"""What a file is, read from its content alone, and its thumbnail."""

from __future__ import annotations

import io

from PIL import Image

from clinic.documents.content import identify, thumbnail
from tests.documents.test_documents import EXE, PDF


def image(kind: str, size=(50, 40), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, kind, **options)
    return out.getvalue()


def test_the_four_kinds_we_keep_are_recognised_by_their_content():
    assert identify(PDF).media_type == "application/pdf"
    assert identify(image("PNG")).extension == "png"
    exif = Image.Exif()
    exif[0x010F] = "Scanner Co"
    assert identify(image("JPEG", exif=exif)).extension == "jpg"
    assert identify(image("TIFF", compression="tiff_lzw")).extension == "tif"


def test_everything_else_is_refused():
    for content in (EXE, image("GIF"), image("WEBP"), b"", b"%PDF", b"<html><script>alert(1)</script></html>",
                    b"PK\x03\x04" + b"\x00" * 100, "Referral letter".encode()):
        assert identify(content) is None, content[:12]


def test_images_get_a_small_png_thumbnail_and_pdfs_none():
    small = thumbnail(image("JPEG", size=(1200, 800)), identify(image("JPEG")))
    with Image.open(io.BytesIO(small)) as shown:
        assert shown.format == "PNG" and max(shown.size) == 160
    assert thumbnail(PDF, identify(PDF)) is None


def test_an_enormous_image_gets_no_thumbnail():
    # 10,000 x 10,000 pixels compress to a few kilobytes: a decompression bomb for a thumbnailer.
    bomb = image("PNG", size=(10_000, 10_000))
    assert len(bomb) < 1_000_000
    assert thumbnail(bomb, identify(bomb)) is None
