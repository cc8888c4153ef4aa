"""The faster regex lexing gives exactly Pygments' tokens."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexers import get_lexer_by_name

from conftest import ROOT
from deckbuilder.config import load_config
from deckbuilder.fastlex import _joined, fast_lexer, join_rules
from deckbuilder.pipeline import parse_all

LANGUAGES = ["python", "bash", "json", "yaml", "cpp", "sql", "javascript", "text", "toml", "markdown"]
CODE_PIECES = [
    "def f(x):\n", "    return x", "class A(B):", "import torch\n", "from a import b as c\n", "'''doc'''", '"""',
    "f'{x!r:>10}'", "rb'\\x00'", "RB'\\n'", "Rf'{a}'", "U'x'", "# comment\n", "@decorator\n", "lambda: 0", "1_000.5e-3j", "0x1F", "async ",
    "await ", "match x:\n    case [1, *rest]:", "{", "}", "[", "]", "(", ")", "\\", "\n", "\t", " ", "$HOME", "echo \"$x\"",
    '{"a": [1, 2.5, null]}', "key: value\n", "- item\n", "int main() { return 0; }", "#include <x>\n", "SELECT * FROM t;",
    "const x = `t${y}`;", "<!-- -->", "**b**", "é", "文字",
]  # fmt: skip
code = st.lists(st.sampled_from(CODE_PIECES) | st.text(max_size=6), max_size=40).map("".join)


def same_tokens(language: str, text: str) -> None:
    stock = get_lexer_by_name(language)
    fast = fast_lexer(get_lexer_by_name(language))
    assert list(fast.get_tokens(text)) == list(stock.get_tokens(text))


def test_every_code_block_of_the_deck_lexes_the_same() -> None:
    cards, _, _ = parse_all(load_config(ROOT), None)
    blocks = [b for c in cards for b in c.code_blocks if b.language]
    assert len(blocks) > 150
    for block in blocks:
        same_tokens(block.language, block.source)


@pytest.mark.parametrize("language", LANGUAGES)
@settings(max_examples=150, deadline=None)
@given(text=code)
def test_random_code_lexes_the_same(language: str, text: str) -> None:
    same_tokens(language, text)


def test_python_states_are_joined_and_unsafe_ones_are_not() -> None:
    lexer = fast_lexer(get_lexer_by_name("python"))
    list(lexer.get_tokens("x = f'{y}'  # z\nimport a.b as c\n"))
    joined = {state for (kind, state), value in _joined.items() if kind is type(lexer) and value is not None}
    assert {"root", "import"} <= joined  # the speed-up is really used for Python

    def rule(pattern: str) -> tuple[object, None, None]:
        return (re.compile(pattern).match, None, None)

    assert join_rules([rule(r"(a)\1"), rule("b")]) is None  # a back-reference counts groups
    assert join_rules([rule("(?P<n>a)"), rule("(?P<n>b)")]) is None  # one group name twice
    assert join_rules([rule("a"), rule("(?i)b")]) is not None  # a leading flag becomes scoped
