"""Which files may ship as images: real image files from the project's own assets/ folder.

Anki shows media from one flat folder in a webview, so a file that is not an image (an HTML
page, an SVG with a script) or that lives outside the project must never be packaged.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

MAX_MEDIA_BYTES = 2_000_000
SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
}
SVG_FORBIDDEN_TAGS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "style", "image", "use"})
EXTERNAL = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)|@import|javascript:", re.I)


def assets_problem(root: Path, assets_dir: str) -> str | None:
    """The assets folder must be a real directory inside the project (never a symlink out)."""
    folder = root / assets_dir
    if folder.is_symlink():
        return f"'{assets_dir}/' is a symlink; it must be a real folder inside the project"
    if folder.exists() and not folder.resolve().is_relative_to(root.resolve()):
        return f"'{assets_dir}/' is outside the project"
    return None


def image_problem(path: Path, data: bytes) -> str | None:
    """Why this file cannot ship as an image, or None."""
    if len(data) > MAX_MEDIA_BYTES:
        return f"is {len(data)} bytes; the limit is {MAX_MEDIA_BYTES}"
    suffix = path.suffix.lower()
    if suffix == ".webp":
        return None if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else "is not a WebP image"
    if suffix == ".svg":
        return _svg_problem(data)
    if suffix not in SIGNATURES:
        return "is not an image: use PNG, JPEG, GIF, WebP or SVG"
    return None if data.startswith(SIGNATURES[suffix]) else f"is not a {suffix[1:].upper()} image by its content"


def _svg_problem(data: bytes) -> str | None:
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        return "is an SVG with a DOCTYPE or entities"
    try:
        tree = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return "is not a well-formed SVG"
    if tree.tag.rsplit("}", 1)[-1] != "svg":
        return "is not an SVG"
    for element in tree.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
        if tag in SVG_FORBIDDEN_TAGS:
            return f"is an SVG with a <{tag}> element"
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"is an SVG with an event handler ({local})"
            if (local == "href" and not value.startswith("#")) or EXTERNAL.search(value):
                return "is an SVG with an external reference"
        if tag == "style" or EXTERNAL.search(element.text or ""):
            return "is an SVG with an external reference"
    return None
