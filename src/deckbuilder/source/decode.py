"""Reading a card file: valid UTF-8, LF line ends, no control characters, bounded sizes."""

from __future__ import annotations

import re

from ..fsutil import normalize_newlines
from ..model import Diagnostic, Location, error

# C0 controls other than tab and newline: U+001F is Anki's field separator (one makes the whole
# package unimportable), the others are dropped by its importer or hide structure.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RESERVED = re.compile("[\ue000\ue001]")  # stand for cloze markers while Markdown runs
MAX_FILE_BYTES = 1_000_000
MAX_LINE = 4000  # characters; longer lines make Markdown's inline patterns slow for nothing
MAX_NESTING = 16  # block quote and list levels on one line
MAX_CARD_CHARS = 8000  # three times the longest card of the deck


def decode(data: bytes, where: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 (a BOM is allowed); a bad byte, a control character, a huge file or line
    is reported at its line."""
    if len(data) > MAX_FILE_BYTES:
        return None, [error(Location(where), f"file is {len(data)} bytes; the limit is {MAX_FILE_BYTES}")]
    try:
        text = normalize_newlines(data.decode("utf-8-sig"))  # CRLF and lone-CR files read as LF
    except UnicodeDecodeError as exc:
        line = normalize_newlines(data[: exc.start].decode("utf-8", "replace")).count("\n") + 1
        return None, [error(Location(where, line), "file is not valid UTF-8")]
    problems = [
        error(
            Location(where, text.count("\n", 0, m.start()) + 1),
            f"control character U+{ord(m.group(0)):04X} is not allowed",
        )
        for m in CONTROL.finditer(text)
    ] + [
        error(
            Location(where, text.count("\n", 0, m.start()) + 1), f"U+{ord(m.group(0)):04X} is reserved by deckbuilder"
        )
        for m in RESERVED.finditer(text)
    ]
    for number, content in enumerate(text.split("\n"), 1):
        if len(content) > MAX_LINE:
            problems.append(
                error(Location(where, number), f"line is {len(content)} characters; the limit is {MAX_LINE}")
            )
        elif _nesting(content) > MAX_NESTING:
            problems.append(error(Location(where, number), f"more than {MAX_NESTING} nested quote or list levels"))
    return (None if problems else text), problems


NESTING = re.compile(r"^(?:[ \t]*(?:>|[-*+][ \t]|\d{1,9}[.)][ \t]))+")


def _nesting(line: str) -> int:
    prefix = NESTING.match(line)
    return 0 if prefix is None else len(re.findall(r">|[-*+][ \t]|\d{1,9}[.)][ \t]", prefix.group(0)))
