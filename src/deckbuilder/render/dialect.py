"""The card dialect: Markdown as GitHub reads it, rewritten so that Python-Markdown reads it the same.

Python-Markdown differs from GitHub where card authors notice it: a list or display formula right
under a paragraph line is glued to the paragraph, list content needs 4 spaces of indentation (GitHub
accepts the width of the marker: 2 or 3), a blank line ends a `$$` block, and `|` inside a formula
splits a table cell. `normalize` rewrites the text line by line, outside code fences, so that every
one of these renders as the author sees it on GitHub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from ..model import Diagnostic, Location
from ..source.spans import find_spans
from .cloze import CLOZE_CLOSE, CLOZE_OPEN, ERR_SPAN, protect_cloze

LIST_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap>[ \t]+)\S")
QUOTE = re.compile(r"^(?: {0,3}> ?)+")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
DISPLAY = ("$$", "\\[")


@dataclass
class _Item:
    source_indent: int  # where the marker stands in the source
    content: int  # source column where the item's text starts
    target: int  # where the marker is written


@dataclass
class _State:
    out: list[str] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)
    block_end: int = -1  # the last line of the fence or display formula being copied
    in_fence: bool = False
    fence_shift: int = 0
    math_prefix: str = ""
    blank_after_math: bool = False


def _blocks(text: str) -> dict[int, tuple[str, int]]:
    """Lines that open a code fence or a display formula of several lines, with the block's last
    line: from the spans of the one scanner (source/spans.py), not from rules of our own."""
    starts: dict[int, tuple[str, int]] = {}
    for span in find_spans(text):
        last = span.line + text.count("\n", span.start, span.end)
        line_start = text.rfind("\n", 0, span.start) + 1
        lead = text[line_start : span.start]
        if span.kind == "fence":
            starts[span.line] = ("fence", last)
        elif span.kind == "math" and last > span.line and text.startswith(DISPLAY, span.start):
            opens_line = not QUOTE.sub("", lead).strip()  # only quote marks before it
            if opens_line:
                starts[span.line] = ("math", last)
    return starts


def normalize(text: str) -> str:
    state = _State()
    blocks = _blocks(text)
    for number, line in enumerate(text.split("\n")):
        _line(state, line, number, blocks.get(number))
    return "\n".join(state.out)


def _line(state: _State, line: str, number: int, block: tuple[str, int] | None) -> None:
    out = state.out
    if number <= state.block_end and state.in_fence:
        out.append(_shift(line, state.fence_shift))
        return
    if number <= state.block_end:
        body = line[len(state.math_prefix) :] if line.startswith(state.math_prefix) else line
        if number == state.block_end:
            state.blank_after_math = True
        elif not body.strip():
            return  # a blank line would end the block in Markdown; in TeX it means nothing
        out.append(state.math_prefix + body.lstrip() if state.math_prefix.strip() else _shift(line, state.fence_shift))
        return
    prefix = QUOTE.match(line)
    quote = prefix.group(0) if prefix else ""
    content = line[len(quote) :]
    if state.blank_after_math:
        state.blank_after_math = False
        if content.strip():
            out.append(quote.rstrip())
    stripped = content.strip()
    if block is not None and block[0] == "fence":
        shift = _reindent_continuation(state, len(content) - len(content.lstrip(" \t")))
        state.block_end, state.in_fence, state.fence_shift = block[1], True, shift
        out.append(_shift(line, shift))
        return
    if block is not None:
        state.block_end, state.in_fence = block[1], False
        _open_math(state, line, quote, content)
        return
    if stripped and TABLE_ROW.match(content):
        out.append(quote + _escape_bars(content))
        return
    if not quote and LIST_ITEM.match(line):
        if _starts_list(line, out[-1] if out else ""):
            out.append("")
        out.append(_reindent_item(state, line))
        return
    if stripped and not quote and not line.startswith((" ", "\t")):
        state.items.clear()
    elif stripped and not quote and state.items:
        out.append(_shift(line, _reindent_continuation(state, len(line) - len(line.lstrip(" ")))))
        return
    out.append(line)


def _open_math(state: _State, line: str, quote: str, content: str) -> None:
    """A display formula starts a block of its own, as on GitHub."""
    indent = len(content) - len(content.lstrip(" "))
    shift = _reindent_continuation(state, indent) if not quote and state.items else 0
    previous = state.out[-1] if state.out else ""
    if previous[len(quote.rstrip()) :].strip() and not previous.rstrip().endswith(("$$", "\\]")):
        state.out.append(quote.rstrip())
    state.math_prefix = quote
    state.fence_shift = shift
    state.out.append(quote + content.lstrip() if quote else _shift(line, shift))


def _escape_bars(row: str) -> str:
    """`|` in a formula in a table row would end the cell: the same bar as `\\vert`."""
    out: list[str] = []
    position = 0
    for span in find_spans(row):
        if span.kind == "math":
            body = re.sub(r"(?<!\\)\|", r"\\vert ", row[span.body_start : span.body_end])
            out.append(row[position : span.body_start] + body)
            position = span.body_end
    return "".join(out) + row[position:]


def _shift(line: str, shift: int) -> str:
    if shift > 0:
        return " " * shift + line
    if shift < 0:
        strip = min(-shift, len(line) - len(line.lstrip(" ")))
        return line[strip:]
    return line


def _reindent_item(state: _State, line: str) -> str:
    """List items nested by 2 or 3 spaces are re-indented to Python-Markdown's 4."""
    m = LIST_ITEM.match(line)
    assert m is not None
    indent = len(m.group("indent"))
    items = state.items
    while items and items[-1].source_indent > indent:
        items.pop()
    if items and items[-1].source_indent == indent:
        items.pop()
        target = items[-1].target + 4 if items else 0
    else:
        target = items[-1].target + 4 if items else 0
    items.append(_Item(indent, indent + len(m.group("marker")) + len(m.group("gap")), target))
    return " " * target + line.lstrip(" ")


def _reindent_continuation(state: _State, indent: int) -> int:
    """How far to move a line indented by `indent` that continues an open list item."""
    items = state.items
    while items and indent < items[-1].content and indent <= items[-1].source_indent:
        items.pop()
    if not items or indent < items[-1].source_indent + 1:
        return 0
    item = items[-1]
    return item.target + 4 - min(indent, item.content) if indent >= item.source_indent + 2 else 0


def _starts_list(line: str, previous: str) -> bool:
    """A top-level list item right under a top-level paragraph line."""
    indented = line.startswith((" ", "\t")) or previous.startswith((" ", "\t"))
    return bool(previous.strip()) and not LIST_ITEM.match(previous) and not indented


# Python-Markdown's own preprocessor priorities: normalize_whitespace 30, fenced code (superfences) 25.
CLOZE_PRIORITY = 35  # before anything can split or escape a cloze marker
DIALECT_PRIORITY = 29  # after line endings and tabs are normalised, before fences are read


class CardDialect(Extension):
    """The card dialect as a Markdown extension: cloze markers protected while Markdown and
    Pygments run (cloze cards only), GitHub-style blocks normalised, the markers put back."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cloze = False  # set per field by the renderer
        self.where = Location("", 0)
        self.markers: list[str] = []
        self.problems: list[Diagnostic] = []

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_ClozeIn(md, self), "card_cloze", CLOZE_PRIORITY)
        md.preprocessors.register(_Dialect(md), "card_dialect", DIALECT_PRIORITY)
        md.postprocessors.register(_ClozeOut(md, self), "card_cloze_restore", 0)

    def reset(self) -> None:
        self.markers, self.problems = [], []


class _ClozeIn(Preprocessor):
    def __init__(self, md: Markdown, dialect: CardDialect) -> None:
        super().__init__(md)
        self.dialect = dialect

    def run(self, lines: list[str]) -> list[str]:
        if not self.dialect.cloze:
            return lines
        text, self.dialect.markers, self.dialect.problems = protect_cloze("\n".join(lines), self.dialect.where)
        return text.split("\n")


class _Dialect(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return normalize("\n".join(lines)).split("\n")


class _ClozeOut(Postprocessor):
    def __init__(self, md: Markdown, dialect: CardDialect) -> None:
        super().__init__(md)
        self.dialect = dialect

    def run(self, text: str) -> str:
        if not self.dialect.markers:
            return text
        openers = iter(self.dialect.markers)
        text = re.sub(CLOZE_OPEN, lambda _m: next(openers), ERR_SPAN.sub(r"\1", text))
        return text.replace(CLOZE_CLOSE, "}}")
