"""Allowlist HTML: what Markdown and our renderer produce, plus a small documented set.

Anki runs any script in a card on every learner's device, so author HTML outside the list is an
error at its line (never a silent fix), and every field also passes through nh3 as a last guard.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

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
SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (needle to locate in the source, message)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.append((f"<{tag}", f"HTML tag <{tag}> is not allowed in a card"))
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append((f"{name}=", f"event handler attribute '{name}' is not allowed"))
            elif name not in allowed:
                self.found.append((f"{name}=", f"attribute '{name}' is not allowed on <{tag}>"))
            elif name in URL_ATTRIBUTES and (m := SCHEME.match(value or "")) and m.group(1).lower() not in URL_SCHEMES:
                self.found.append((m.group(1) + ":", f"'{m.group(1)}:' URLs are not allowed in {name}"))
            elif name == "style" and not all(
                part.split(":")[0].strip().lower() in STYLE_PROPERTIES
                for part in (value or "").split(";")
                if part.strip()
            ):
                self.found.append(("style=", f"style '{value}' is not allowed (only text-align)"))


def unsafe_html(fragment: str) -> list[tuple[str, str]]:
    """(needle, message) for every tag, attribute or URL outside the allowlist."""
    finder = _Finder()
    finder.feed(fragment)
    finder.close()
    return finder.found


# Built once: nh3 turns the allowlist into its own sets when a Cleaner is made, not per field.
CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    filter_style_properties=set(STYLE_PROPERTIES),
    link_rel=None,
    strip_comments=True,
)


def sanitize(fragment: str) -> str:
    cleaned: str = CLEANER.clean(fragment)
    return cleaned
