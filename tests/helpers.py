"""Small helpers shared by the tests: parsing HTML, reading headers."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node


def html(response) -> HTMLParser:
    assert "text/html" in response.headers.get("content-type", ""), response.headers.get("content-type")
    return HTMLParser(response.text)


def texts(tree: HTMLParser, selector: str) -> list[str]:
    return [node.text(strip=True) for node in tree.css(selector)]


def one(tree: HTMLParser, selector: str) -> Node:
    nodes = tree.css(selector)
    assert len(nodes) == 1, f"expected one {selector!r}, found {len(nodes)}"
    return nodes[0]


def is_fragment(response) -> bool:
    lowered = response.text.lower()
    return "<html" not in lowered and "<body" not in lowered
