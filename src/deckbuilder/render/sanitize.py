"""Allowlist HTML: what Markdown and our renderer produce, plus a small documented set.

Anki runs any script in a card on every learner's device, so author HTML outside the list is an
error at its line (never a silent fix), and every field also passes through nh3 as a last guard.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser

import nh3
from pygments.token import STANDARD_TYPES

from .texguard import forbidden_tex

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "s",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr",
        "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"align", "style"},
    "th": {"align", "style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
STYLE_PROPERTIES = frozenset({"text-align"})
URL_ATTRIBUTES = frozenset({"href", "src"})
# Classes our renderer writes: Pygments token classes, code and math wrappers, the fold. A class
# from card text could borrow Anki's or the deck's own styles (cover the card, hide the answer).
ALLOWED_CLASSES = frozenset({*STANDARD_TYPES.values(), "highlight", "arithmatex", "fold", "line"} - {""})
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# What a browser ignores in a URL: leading/trailing C0 controls and spaces, tabs and newlines anywhere.
URL_IGNORED = re.compile(r"[\t\n\r]")
RAW_TEXT = frozenset({"pre", "code"})  # MathJax never typesets inside these


def browser_url(value: str) -> str:
    """A URL attribute as a browser reads it (entities are already decoded by the parser)."""
    return URL_IGNORED.sub("", value).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )


class _Finder(HTMLParser):
    """Every tag, attribute, URL, image and TeX macro outside what a card may ship."""

    def __init__(self, media: frozenset[str] | None) -> None:
        super().__init__(convert_charrefs=True)
        self.media = media  # packaged image names; None: images are not checked here
        self.found: list[tuple[str, str]] = []  # (needle to locate in the source, message)
        self.raw_depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in RAW_TEXT:
            self.raw_depth += 1
        if tag not in ALLOWED_TAGS:
            self.found.append((f"<{tag}", f"HTML tag <{tag}> is not allowed in a card"))
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            self.attribute(tag, name, value or "", allowed)

    def attribute(self, tag: str, name: str, value: str, allowed: set[str]) -> None:
        if name.startswith("on"):
            self.found.append((f"{name}=", f"event handler attribute '{name}' is not allowed"))
        elif name not in allowed:
            self.found.append((f"{name}=", f"attribute '{name}' is not allowed on <{tag}>"))
        elif name == "class" and (bad := [c for c in value.split() if c not in ALLOWED_CLASSES]):
            self.found.append((bad[0], f"class '{bad[0]}' is not allowed: card text may not pick CSS classes"))
        elif name == "src" and tag == "img":
            if self.media is not None and value and value not in self.media:
                self.found.append((value or "<img", f"image {value!r} is not a packaged file from assets/"))
        elif name in URL_ATTRIBUTES:
            url = browser_url(value)
            scheme = SCHEME.match(url)
            if scheme is None:
                self.found.append((value or name, f"link {url!r} is not allowed in {name}: use an http(s) URL"))
            elif scheme.group(1).lower() not in URL_SCHEMES:
                self.found.append((scheme.group(1) + ":", f"'{scheme.group(1)}:' URLs are not allowed in {name}"))
        elif name == "style" and not all(
            part.split(":")[0].strip().lower() in STYLE_PROPERTIES for part in value.split(";") if part.strip()
        ):
            self.found.append(("style=", f"style '{value}' is not allowed (only text-align)"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in RAW_TEXT:
            self.raw_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in RAW_TEXT and self.raw_depth:
            self.raw_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.raw_depth:
            self.text.append(data)


# The HTML our renderer writes for nearly every field: allowed tags, lower case, whose only
# attribute is a class of plain words, and text without "<". A browser reads such a fragment as
# exactly these tags (no "<" opens a comment, a raw-text element or anything else), so it needs
# no parser: only the classes and the TeX in its text are left to check.
PLAIN_TAG = re.compile(
    r"<(/?)(" + "|".join(sorted(ALLOWED_TAGS - {"a", "img"}, key=len, reverse=True)) + r')(?: class="([\w -]*)")? ?/?>'
)
CLASS_VALUE = re.compile(r' class="([\w -]*)"')
PLAIN_FRAGMENT = re.compile(r"(?:[^<]++|" + PLAIN_TAG.pattern + r")*+")  # possessive: linear time


def _plain_text(fragment: str) -> list[str] | None:
    """The text outside code of a fragment of plain tags with allowed classes (none when it cannot
    hold TeX), else None."""
    if not PLAIN_FRAGMENT.fullmatch(fragment):
        return None
    # (text that looks like a class attribute is checked too: it only sends the fragment to the parser)
    if not all(ALLOWED_CLASSES.issuperset(value.split()) for value in set(CLASS_VALUE.findall(fragment))):
        return None
    if "\\" not in fragment and "&" not in fragment:
        return []  # no TeX macro without a backslash (written, or as an entity)
    text: list[str] = []
    depth, position = 0, 0
    for m in PLAIN_TAG.finditer(fragment):
        if not depth:
            text.append(fragment[position : m.start()])
        closing, tag, _ = m.groups()
        if tag in RAW_TEXT and not m.group(0).endswith("/>"):
            depth = max(0, depth - 1) if closing else depth + 1
        position = m.end()
    if not depth:
        text.append(fragment[position:])
    return text


def unsafe_html(fragment: str, media: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """(needle, message) for everything in a field's final HTML that a card may not ship.

    TeX is looked for in all text outside code, joined across tags as MathJax joins it.
    """
    if (plain := _plain_text(fragment)) is not None:
        return forbidden_tex(html.unescape("".join(plain)))
    return parsed_findings(fragment, media)


def parsed_findings(fragment: str, media: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """`unsafe_html` by a full HTML parser: any fragment, with a message for each problem."""
    finder = _Finder(media)
    finder.feed(fragment)
    finder.close()
    return finder.found + forbidden_tex("".join(finder.text))


# Built once: nh3 turns the allowlist into its own sets when a Cleaner is made, not per field.
CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    filter_style_properties=set(STYLE_PROPERTIES),
    link_rel=None,
    strip_comments=True,
    attribute_filter=lambda tag, name, value: (
        value if name != "class" else " ".join(c for c in value.split() if c in ALLOWED_CLASSES) or None
    ),
)


def sanitize(fragment: str) -> str:
    cleaned: str = CLEANER.clean(fragment)
    return cleaned


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def structure(fragment: str) -> list[str]:
    """The elements and attribute names of an HTML fragment, however it is serialised."""
    return [shape for shape in map(_shape, TAG.findall(fragment)) if shape]


@lru_cache(maxsize=4096)  # code is mostly the same few dozen token spans
def _shape(tag: tuple[str, str, str]) -> str:
    closing, name, attributes = tag
    name = name.lower()
    if closing:
        return "" if name in VOID else "/" + name  # `<br>` and `<br />` are the same element
    return " ".join([name, *sorted(a.lower() for a in ATTRIBUTE.findall(attributes))])


def clean_field(fragment: str) -> tuple[str, bool]:
    """The last guard: nh3's output, and whether it removed an element or attribute the check let through."""
    cleaned = sanitize(fragment)
    return cleaned, structure(cleaned) != structure(fragment)
