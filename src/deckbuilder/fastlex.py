"""Pygments' regex lexers with one regex match per token instead of one per rule.

A `RegexLexer` tries a state's rules one after another at every position, which was the largest
single cost of rendering a card with code. Here each state's rules are joined into one
alternation; Python's `re` also tries alternatives left to right, so the first rule to match is
the same one. That rule's own regex then runs once more, for its groups and its action. A state
whose rules cannot be joined safely (back-references or conditionals, which count groups; inline
flags; clashing group names; mixed flags) keeps the rule-by-rule loop. The tokens are the same;
a test compares them with Pygments' own for every code block of the deck and for random text.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterator
from typing import Any

from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

Matcher = Callable[[str, int], "re.Match[str] | None"]
Rule = tuple[Matcher, Any, Any]  # (match, action, new state), as Pygments compiles them
Joined = tuple[Matcher, dict[int, int]]  # the alternation, and its outer groups -> rule index
GROUP_COUNTING = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
LEADING_FLAGS = re.compile(r"^\(\?([imsx]+)\)")
FLAG_BITS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}

_joined: dict[tuple[type, str], Joined | None] = {}


def fast_lexer(lexer: Lexer) -> Lexer:
    """The same lexer, tokenizing faster if it is a plain `RegexLexer` (others are returned as is)."""
    if isinstance(lexer, RegexLexer) and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
        lexer.get_tokens_unprocessed = types.MethodType(tokens, lexer)  # type: ignore[method-assign]
    return lexer


def join_rules(rules: list[Rule]) -> Joined | None:
    """One regex that matches where the first matching rule does, or None if that is not safe."""
    patterns: list[str] = []
    flags: set[int] = set()
    owners: dict[int, int] = {}
    group = 1
    for index, (match, _, _) in enumerate(rules):
        compiled = getattr(match, "__self__", None)
        if not isinstance(compiled, re.Pattern) or not isinstance(compiled.pattern, str):
            return None
        pattern, pattern_flags = compiled.pattern, compiled.flags
        if GROUP_COUNTING.search(pattern):
            return None
        if leading := LEADING_FLAGS.match(pattern):  # `(?i)rest` means `(?i:rest)` in an alternation
            pattern = f"(?{leading.group(1)}:{pattern[leading.end() :]})"
            for letter in leading.group(1):
                pattern_flags &= ~FLAG_BITS[letter]
        if pattern:  # an empty pattern (Pygments' `default`) matches alike under any flags
            flags.add(pattern_flags)
        patterns.append(f"({pattern})")
        owners[group] = index
        group += 1 + compiled.groups
    if len(flags) > 1:
        return None
    try:
        joined = re.compile("|".join(patterns), flags.pop() if flags else 0)
    except re.error:  # inline flags mid-pattern, a group name used by two rules, ...
        return None
    return joined.match, owners


def _joined_rules(lexer_type: type, state: str, rules: list[Rule]) -> Joined | None:
    key = (lexer_type, state)
    if key not in _joined:
        _joined[key] = join_rules(rules)
    return _joined[key]


def _first_match(
    lexer_type: type, state: str, rules: list[Rule], text: str, pos: int
) -> tuple[Rule, re.Match[str]] | None:
    joined = _joined_rules(lexer_type, state, rules)
    if joined is None:
        for rule in rules:
            if (found := rule[0](text, pos)) is not None:
                return rule, found
        return None
    hit = joined[0](text, pos)
    if hit is None or hit.lastindex is None:
        return None
    rule = rules[joined[1][hit.lastindex]]
    found = rule[0](text, pos)
    return (rule, found) if found is not None else None


def tokens(lexer: RegexLexer, text: str, stack: tuple[str, ...] = ("root",)) -> Iterator[tuple[int, Any, str]]:
    """What `RegexLexer.get_tokens_unprocessed` yields, found with one regex per token."""
    definitions: dict[str, list[Rule]] = lexer._tokens  # type: ignore[attr-defined]
    lexer_type = type(lexer)
    states = list(stack)
    pos = 0
    while True:
        found = _first_match(lexer_type, states[-1], definitions[states[-1]], text, pos)
        if found is None:
            if pos >= len(text):
                return
            if text[pos] == "\n":  # as Pygments does: at a line end with no rule, back to root
                states = ["root"]
                yield pos, Whitespace, "\n"
            else:
                yield pos, Error, text[pos]
            pos += 1
            continue
        (_, action, new_state), match = found
        if action is not None:
            if type(action) is _TokenType:
                yield pos, action, match.group()
            else:
                yield from action(lexer, match)
        pos = match.end()
        if new_state is not None:
            states = _next_states(states, new_state)


def _next_states(states: list[str], new_state: Any) -> list[str]:
    """Pygments' state transitions: push names, '#pop', '#push', or pop a number of states."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(states) > 1:
                    states.pop()
            elif state == "#push":
                states.append(states[-1])
            else:
                states.append(state)
    elif isinstance(new_state, int):  # a negative count; the root state always stays
        if abs(new_state) >= len(states):
            del states[1:]
        else:
            del states[new_state:]
    elif new_state == "#push":
        states.append(states[-1])
    else:
        raise ValueError(f"unknown Pygments state change {new_state!r}")
    return states
