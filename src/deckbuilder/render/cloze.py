"""Cloze markers kept whole through Markdown and Pygments: each `{{cN::` and its `}}` stand as one
private-use character while they run (neither can split or escape them), then are put back."""

from __future__ import annotations

import re

from ..model import Diagnostic, Location, error
from .texguard import brace_depth

CLOZE_OPEN = "\ue000"
CLOZE_CLOSE = "\ue001"
CLOZE_START = re.compile(r"\{\{c(\d+)::")
ERR_SPAN = re.compile(r'<span class="err">([\ue000\ue001]+)</span>')


def protect_cloze(text: str, where: Location) -> tuple[str, list[str], list[Diagnostic]]:
    """Swap each `{{cN::` and its closing `}}` for one private-use character."""
    out: list[str] = []
    markers: list[str] = []
    problems: list[Diagnostic] = []
    pos = 0
    for m in CLOZE_START.finditer(text):
        if m.start() < pos:
            continue
        close = text.find("}}", m.end())
        line = where.line + text.count("\n", 0, m.start())
        if close < 0:
            problems.append(error(Location(where.path, line), f"cloze '{m.group(0)}' is never closed by '}}}}'"))
            continue
        inner = text[m.end() : close]
        if brace_depth(inner) != 0:
            problems.append(
                error(
                    Location(where.path, line),
                    "a '}}' inside this cloze ends it early (TeX braces); write '} }' inside a cloze",
                )
            )
        out.append(text[pos : m.start()] + CLOZE_OPEN + inner + CLOZE_CLOSE)
        markers.append(m.group(0))
        pos = close + 2
    out.append(text[pos:])
    return "".join(out), markers, problems
