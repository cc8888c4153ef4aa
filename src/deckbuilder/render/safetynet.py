"""What must never survive rendering as text: if it does, the card reaches learners broken.

Run on each rendered field (before cleaning), against the field's Markdown source. Each finding is
(needle to locate in the source, message saying what to write instead).
"""

from __future__ import annotations

import html
import re

from ..model import CodeBlock, Span
from ..source.spans import blank, find_spans

RENDERED_MATH = re.compile(r'<(span|div) class="arithmatex">.*?</\1>', re.S)
RAW_TEXT = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)
TAG = re.compile(r"<[^>]*>")
DOLLAR_PAIR = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]+?)(?<=[^\s\\])\$(?!\d)")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
DIV = re.compile(r"<(/?)div\b", re.I)


def visible_text(fragment: str) -> str:
    """The field's text outside math, code and tags, as a reader sees it."""
    text = RAW_TEXT.sub(" ", RENDERED_MATH.sub(" ", fragment))
    return html.unescape(TAG.sub(" ", text))


def leftovers(fragment: str, checks: tuple[CodeBlock, ...] = ()) -> list[tuple[str, str]]:
    """Markup a field's HTML shows as text."""
    text = visible_text(fragment)
    found: list[tuple[str, str]] = []
    if "$$" in text:
        found.append(
            ("$$", "display math shows as text: put '$$' on lines of its own, closing it before the next paragraph")
        )
    for delimiter in ("\\[", "\\]", "\\(", "\\)"):
        if delimiter in text:
            found.append((delimiter, f"'{delimiter}' shows as text: write math as $…$ or $$…$$, balanced"))
            break
    if m := DOLLAR_PAIR.search(text):
        found.append((m.group(0), f"'{m.group(0)[:30]}' shows as text, not math: write '\\$' for a dollar sign"))
    for marker in ("```", "~~~"):
        if marker in text:
            found.append(
                (marker, f"a code fence marker '{marker}' shows as text: close every fence on a line of its own")
            )
    for block in checks:
        probe = next((line.strip() for line in block.source.split("\n") if len(line.strip()) >= 12), "")
        if probe and probe in text:
            found.append((probe, "the text of a hidden 'python check' block shows on the card"))
    return found


def source_problems(source: str, spans: tuple[Span, ...] | None = None) -> list[tuple[str, str]]:
    """Shapes in one field's Markdown that render as something else than meant."""
    return table_problems(source) + div_problems(source, spans)


def _cells(row: str) -> int:
    masked = blank(row.strip(), find_spans(row.strip()), "x")
    return len(re.split(r"(?<!\\)\|", masked.strip("|")))


def table_problems(source: str) -> list[tuple[str, str]]:
    """A row with another number of cells than its header loses or invents cells."""
    found: list[tuple[str, str]] = []
    header = 0
    for line in source.split("\n") if "|" in source else ():
        if not TABLE_ROW.match(line):
            header = 0
            continue
        if not header:
            header = _cells(line)
        elif set(line.strip()) <= set("|-: "):
            continue
        elif (cells := _cells(line)) != header:
            found.append(
                (line.strip(), f"table row has {cells} cells, its header {header}: Markdown would drop or pad cells")
            )
    return found


def div_problems(source: str, spans: tuple[Span, ...] | None = None) -> list[tuple[str, str]]:
    """An unclosed <div> turns the rest of the field into raw HTML: Markdown stops there."""
    if "<div" not in source.lower():
        return []
    depth = 0
    opener = ""
    for m in DIV.finditer(blank(source, find_spans(source) if spans is None else spans)):
        if m.group(1):
            depth -= 1
        else:
            depth += 1
            opener = opener or m.group(0)
    if depth > 0:
        return [(opener, "<div> is never closed: the rest of the answer would show as raw Markdown")]
    return []
