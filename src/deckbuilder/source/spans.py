"""Where code and math stand in Markdown: the one scanner of the card dialect.

`blocks` finds code fences and display formulas line by line; the card splitter reads them (a `## `
inside either is no heading) and so does `find_spans`, which adds the inline spans (backtick code,
`$…$` that opens before a non-space and closes after one, not followed by a digit, `\\(…\\)`, and
`$$…$$` or `\\[…\\]` within a line). The checks, the safety net and the dialect read spans from
here (`card_spans`: once per card in the per-card work) instead of scanning with rules of their own.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

from ..model import Card, Span

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
DISPLAY_OPENERS = (("$$", "$$"), ("\\[", "\\]"))
QUOTE = re.compile(r"^(?: {0,3}> ?)+")
INLINE = re.compile(
    r"\$\$(?P<display>.+?)\$\$|\\\[(?P<bracket>.+?)\\\]|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$])\$(?P<inline>[^\s$](?:[^$\n]*?[^\s\\])?)\$(?!\d)"
    r"|(?P<ticks>`+)(?P<span>.+?)(?P=ticks)"
)
MATH_GROUPS = ("display", "bracket", "paren", "inline")
OPENING_CHARS = re.compile(r"[`~$]|\\\[")  # a line without any of these opens no block


@dataclass(frozen=True)
class Block:
    """A code fence or a display formula over lines `first`..`last` (0-based; `last` is None when
    it is never closed)."""

    kind: str  # "fence" or "math"
    first: int
    last: int | None
    marker: str  # the fence (```` ``` ````, `~~~~`) or the formula's opening delimiter
    info: str = ""  # a fence's info string, spaces normalised


def fence_opener(line: str) -> re.Match[str] | None:
    """A line that opens a code fence (a backtick fence's info string has no backtick)."""
    return FENCE_OPEN.match(line.rstrip("\r\n"))


def blocks(lines: list[str]) -> list[Block]:
    """Code fences and display formulas, line by line, as Markdown and the splitter read them.

    A fence closes at a line of its own character only, at least as long; a display formula that
    does not close on its opening line closes at the first later line holding its delimiter.
    """
    found: list[Block] = []
    index = 0
    while index < len(lines):
        content = lines[index].rstrip("\r\n")
        if not OPENING_CHARS.search(content):  # most lines: nothing can open here
            index += 1
            continue
        if (m := fence_opener(content)) is not None:
            char, length = m.group("fence")[0], len(m.group("fence"))
            last = next((j for j in range(index + 1, len(lines)) if _closes_fence(lines[j], char, length)), None)
            found.append(Block("fence", index, last, m.group("fence"), " ".join(m.group("info").split())))
            index = (last if last is not None else len(lines)) + 1
            continue
        stripped = QUOTE.sub("", content).strip()  # a formula may open inside a block quote
        opener = next((pair for pair in DISPLAY_OPENERS if _opens(stripped, *pair)), None)
        if opener is not None:
            last = next((j for j in range(index + 1, len(lines)) if opener[1] in lines[j]), None)
            found.append(Block("math", index, last, opener[0]))
            index = (last if last is not None else len(lines)) + 1
            continue
        index += 1
    return found


def _opens(stripped: str, opener: str, closer: str) -> bool:
    return stripped.startswith(opener) and closer not in stripped[len(opener) :]


def _closes_fence(line: str, char: str, length: int) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) == {char} and len(stripped) >= length


def find_spans(text: str) -> tuple[Span, ...]:
    """Every code and math span of a field: its blocks, then the inline spans between them."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    found: list[Span] = []
    position = 0
    for block in blocks(lines):
        found += _inline(text, position, starts[block.first], starts)
        last = block.last if block.last is not None else len(lines) - 1
        opening = QUOTE.sub(lambda m: " " * len(m.group(0)), lines[block.first])  # quote marks are not the span
        start = starts[block.first] + len(opening) - len(opening.lstrip())
        end = starts[last] + len(lines[last])
        if block.kind == "fence":
            body_start = min(starts[block.first + 1], len(text))
            body_end = starts[last] if block.last is not None else end
        else:
            body_start = start + len(block.marker)
            closer = dict(DISPLAY_OPENERS)[block.marker]
            body_end = max(body_start, starts[last] + lines[last].find(closer)) if block.last is not None else end
            end = body_end + len(closer) if block.last is not None else end
        found.append(Span(block.kind, start, end, body_start, body_end, block.first))
        position = starts[last + 1] if last + 1 < len(starts) else len(text)
    found += _inline(text, position, len(text), starts)
    return tuple(found)


def _inline(text: str, start: int, end: int, starts: list[int]) -> list[Span]:
    found: list[Span] = []
    for m in INLINE.finditer(text, start, end):
        group = next(g for g in (*MATH_GROUPS, "span") if m.group(g) is not None)
        kind = "math" if group in MATH_GROUPS else "code"
        line = bisect_right(starts, m.start()) - 1
        found.append(Span(kind, m.start(), m.end(), m.start(group), m.end(group), line))
    return found


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


def card_spans(card: Card) -> tuple[tuple[Span, ...], ...]:
    """The spans of question, answer, back extra and fold: those the card carries, else found."""
    return card.spans or tuple(find_spans(text) for text in (card.question, card.answer, card.back_extra, card.fold))


def with_spans(card: Card) -> Card:
    """The card carrying its spans, for work that reads them more than once (render, design)."""
    return card if card.spans else replace(card, spans=card_spans(card))
