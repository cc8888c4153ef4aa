"""Where code and math stand in a field's Markdown: the one scanner of the card dialect.

The parser records each field's spans on its Card (with the line each starts on); the checks, the
safety net and the dialect read spans from here instead of scanning with rules of their own. The
rules are the renderer's: fenced code, backtick code spans, `$$…$$`, `\\[…\\]`, `\\(…\\)`, and
`$…$` that opens before a non-space and closes after one, not followed by a digit.
"""

from __future__ import annotations

import re

from ..model import Span

SPAN = re.compile(
    r"(?ms)^[ \t]*(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<code>.*?)^[ \t]*(?P=fence)[ \t]*$"
    r"|\$\$(?P<display>.+?)\$\$|\\\[(?P<bracket>.+?)\\\]|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$])\$(?P<inline>[^\s$](?:[^$\n]*?[^\s\\])?)\$(?!\d)"
    r"|(?P<ticks>`+)(?P<span>.+?)(?P=ticks)"
)
MATH_GROUPS = ("display", "bracket", "paren", "inline")


def find_spans(text: str) -> tuple[Span, ...]:
    found: list[Span] = []
    for m in SPAN.finditer(text):
        group = "code" if m.group("fence") else next(g for g in (*MATH_GROUPS, "span") if m.group(g) is not None)
        kind = "fence" if group == "code" else "math" if group in MATH_GROUPS else "code"
        found.append(Span(kind, m.start(), m.end(), m.start(group), m.end(group), text.count("\n", 0, m.start())))
    return tuple(found)


def blank(text: str, spans: tuple[Span, ...], fill: str = " ") -> str:
    """The text with every span replaced by `fill` (line breaks kept, so lines keep their numbers)."""
    out: list[str] = []
    position = 0
    for span in spans:
        out.append(text[position : span.start])
        out.append("".join(ch if ch == "\n" else fill for ch in text[span.start : span.end]))
        position = span.end
    out.append(text[position:])
    return "".join(out)


def bodies(text: str, spans: tuple[Span, ...], kind: str) -> list[str]:
    return [text[s.body_start : s.body_end] for s in spans if s.kind == kind or (kind == "code" and s.kind == "fence")]
