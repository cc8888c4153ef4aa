"""Split a Markdown file into cards, recording where everything came from.

Python-Markdown keeps no source positions, so this line-based splitter (aware of code fences
and display math) is the only place that knows lines; every later diagnostic points here. It
collects each card's lines into a `Draft`; `draft.py` turns a complete draft into a Card.
"""

from __future__ import annotations

import re

from ..fsutil import split_lines
from ..model import Card, CodeBlock, Diagnostic, Location, error
from .draft import Draft, to_card
from .metadata import front_matter, parse_metadata
from .spans import Block, blocks, fence_opener

CARD_HEADING = re.compile(r"^##(?:[ \t]+(.*)|[ \t]*)$")  # no lazy group before [ \t]*$: linear time
TITLE_HEADING = re.compile(r"^#[ \t]+\S")
METADATA = re.compile(r"^[ \t]*<!--(?P<body>(?:[^-]|-(?!->))*)-->[ \t]*$")
BACK_MARKER = re.compile(r"^[ \t]*<!--[ \t]*back[ \t]*-->[ \t]*$")
FOLD_MARKER = re.compile(r"^[ \t]*<!--[ \t]*fold(?:[ \t]*:(?P<label>[^\n]*?))?[ \t]*-->[ \t]*$")
MAX_FOLD_LABEL = 20
# '##' after an invisible character, full-width '＃', or with no space: a heading Markdown and this
# splitter would not see, silently merging the card into the one before.
LOOKALIKE_HEADING = re.compile(r"^[\ufeff\u200b\u200c\u200d\u2060\u00a0\u3000 \t]*[#＃]{2}(?!#)")
CHECK_INFO = "python check"


class _Splitter:
    """Takes the file line by line: a `## ` heading starts a draft, later lines go into its body."""

    def __init__(self, where: str, subdeck: str, file_tags: tuple[str, ...]) -> None:
        self.where = where
        self.subdeck = subdeck
        self.file_tags = file_tags
        self.problems: list[Diagnostic] = []
        self.cards: list[Card] = []
        self.draft: Draft | None = None
        self.saw_title = False
        self.in_comment = False

    def loc(self, line: int) -> Location:
        return Location(self.where, line)

    def outside(self, text: str, number: int) -> None:
        """A line before the first card: only blanks, one title and comments may stand here."""
        stripped = text.strip()
        if self.in_comment:
            self.in_comment = "-->" not in stripped
        elif not stripped:
            return
        elif stripped.startswith("<!--"):
            self.in_comment = "-->" not in stripped[4:]
        elif TITLE_HEADING.match(text) and not self.saw_title:
            self.saw_title = True
        else:
            self.problems.append(
                error(self.loc(number), "text outside any card would be dropped (a card starts at '## ')")
            )

    def start(self, heading: str, number: int) -> None:
        self.finish()
        self.draft = Draft(heading=heading, line=number, body_start=number + 1)

    def finish(self) -> None:
        """End the current draft, if any: its card (unless too long) and its problems."""
        draft, self.draft = self.draft, None
        if draft is None:
            return
        card, problems = to_card(draft, self.where, self.subdeck, self.file_tags)
        self.problems.extend(problems)
        if card is not None:
            self.cards.append(card)

    def body_line(self, text: str, number: int, code: bool = False) -> None:
        draft = self.draft
        assert draft is not None
        metadata = METADATA.match(text) if not draft.has_meta and not draft.body else None
        if metadata is not None and not BACK_MARKER.match(text) and not FOLD_MARKER.match(text):
            draft.has_meta = True
            meta, problems = parse_metadata(metadata.group("body"), self.loc(number))
            draft.meta = meta
            self.problems.extend(problems)
            draft.body_start = number + 1
            return
        if not draft.has_meta and not draft.body and not text.strip():
            draft.body_start = number + 1
            return
        if not code and BACK_MARKER.match(text) and draft.back_index < 0:
            draft.back_index = len(draft.body)
        elif not code and (fold := FOLD_MARKER.match(text)) is not None:
            if draft.fold_index >= 0:
                self.problems.append(error(self.loc(number), "a card has one '<!-- fold -->'; remove this one"))
                text = "\n"
            else:
                draft.fold_index = len(draft.body)
                draft.fold_label = self.fold_label(fold.group("label") or "", number)
        draft.body.append(text)

    def fold_label(self, raw: str, number: int) -> str:
        label = " ".join(raw.split())
        if len(label) > MAX_FOLD_LABEL or any(c in label for c in "<>&\"'`$"):
            self.problems.append(
                error(self.loc(number), f"fold label must be plain text of at most {MAX_FOLD_LABEL} characters")
            )
            return ""
        return label


def split_cards(text: str, where: str, subdeck: str) -> tuple[list[Card], list[Diagnostic]]:
    lines = split_lines(text)
    start, file_tags, problems = front_matter(lines, where)
    splitter = _Splitter(where, subdeck, file_tags)
    splitter.problems.extend(problems)
    # Code fences and display formulas from the one scanner: a `## ` inside them is no heading.
    opened = {block.first + start: block for block in blocks(lines[start:])}
    unclosed: list[Diagnostic] = []
    index = start
    while index < len(lines):
        block = opened.get(index)
        if block is None:
            _plain_line(splitter, lines[index], index + 1)
            index += 1
            continue
        last = block.last + start if block.last is not None else None
        end = last if last is not None else len(lines) - 1
        if block.kind == "fence":
            _fence(splitter, lines, index, last, block)
        else:
            for number in range(index + 1, end + 2):
                _feed(splitter, lines[number - 1], number)
        if last is None:
            what = (
                f"code fence opened here is never closed (expected {block.marker})"
                if block.kind == "fence"
                else f"display math opened with '{block.marker}' here is never closed"
            )
            unclosed.append(error(splitter.loc(index + 1), what))
        index = end + 1
    splitter.problems.extend(unclosed)
    splitter.finish()
    return splitter.cards, splitter.problems


def _plain_line(splitter: _Splitter, text_line: str, number: int) -> None:
    content = text_line.rstrip("\r\n")
    if (m := CARD_HEADING.match(content)) is not None:
        splitter.start((m.group(1) or "").strip(), number)
        return
    if LOOKALIKE_HEADING.match(content):
        splitter.problems.append(
            error(
                splitter.loc(number),
                "this line looks like a card heading but is not one: write '## ' (ASCII '#', a space, "
                "no invisible or full-width character before it)",
            )
        )
    _feed(splitter, text_line, number)


def _fence(splitter: _Splitter, lines: list[str], first: int, last: int | None, block: Block) -> None:
    """A code fence's lines: recorded as a code block, hidden when it is a `python check`."""
    hidden = block.info == CHECK_INFO
    _feed(splitter, lines[first], first + 1, hidden=hidden)
    code: list[str] = []
    for index in range(first + 1, last if last is not None else len(lines)):
        m = fence_opener(lines[index])
        if m is not None and m.group("fence")[0] == block.marker[0] and m.group("info").strip():
            # A fence with a language can only open a block: the one above was left open,
            # and this line's block will be closed by the wrong fence.
            splitter.problems.append(
                error(
                    splitter.loc(first + 1),
                    f"code fence opened here is not closed before another opens at line {index + 1}",
                )
            )
        code.append(lines[index])
        _feed(splitter, lines[index], index + 1, hidden=hidden, code=True)
    _store_code(splitter, block.info, code, first + 1, lines[last] if last is not None else "")


def _feed(splitter: _Splitter, text: str, number: int, hidden: bool = False, code: bool = False) -> None:
    if splitter.draft is None:
        splitter.outside(text, number)
    elif hidden:
        # Keep a blank line so every later line of the answer keeps its number.
        splitter.body_line("\n", number, code=True)
    else:
        splitter.body_line(text, number, code)


def _store_code(splitter: _Splitter, info: str, code: list[str], line: int, closing: str) -> None:
    if splitter.draft is None:
        return
    hidden = info == CHECK_INFO
    language = "python" if hidden else (info.split()[0] if info else "")
    language = language.lstrip("{.").rstrip("}")
    splitter.draft.code.append(CodeBlock(language, "".join(code), splitter.loc(line), is_check=hidden))
    _feed(splitter, closing, line + len(code) + 1, hidden=hidden, code=True)
