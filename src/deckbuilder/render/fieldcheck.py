"""Checks of one field that read its rendered HTML against its source: code languages, math,
and the source line of whatever a check finds."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

from ..model import Card, Diagnostic, Location, did_you_mean, error, warning
from .texguard import math_problems, undefined_tex

INLINE_MATH = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
BLOCK_MATH = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def locate(origin: list[tuple[str, int]], needle: str, nth: int = 0, default: int | None = None) -> int:
    """The source line of the `nth` line holding (the first line of) `needle` in a field made from
    these (text, first line) parts: the same problem twice is reported at each of its lines. When
    no line holds it: `default`, else the field's first line."""
    probe = needle.strip().split("\n")[0].lower()
    if probe:
        hits = [
            line + offset
            for text, line in origin
            for offset, row in enumerate(text.split("\n"))
            if probe in row.lower()
        ]
        if hits:
            return hits[min(nth, len(hits) - 1)]
    return origin[0][1] if default is None else default


@lru_cache(maxsize=1)
def known_languages() -> list[str]:
    return sorted({alias for _, aliases, _, _ in get_all_lexers() for alias in aliases})


@lru_cache(maxsize=256)
def known_language(name: str) -> bool:
    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return False
    return True


def check_code_languages(card: Card) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for block in card.code_blocks:
        if block.is_check:
            continue
        if not block.language:
            problems.append(warning(block.location, "code block has no language (write ```text for plain text)"))
            continue
        if not known_language(block.language):
            hint = did_you_mean(block.language.lower(), known_languages())
            problems.append(error(block.location, f"unknown code language '{block.language}'{hint}"))
    return problems


def check_math(rendered: str, source: str, where: Location) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for pattern in (INLINE_MATH, BLOCK_MATH):
        for m in pattern.finditer(rendered):
            tex = m.group(1)
            if "&" in tex:
                tex = html.unescape(tex)
            origin = [(source, where.line)]
            line = locate(origin, tex)
            for message in math_problems(tex):
                problems.append(error(Location(where.path, line), f"{message}: '{tex.strip()[:60]}'"))
            for needle, message in undefined_tex(tex):
                problems.append(error(Location(where.path, locate(origin, needle, default=line)), message))
    return problems
