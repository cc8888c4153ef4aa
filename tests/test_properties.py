"""Property-based: any text, any bytes, any nesting gives cards or diagnostics, never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckbuilder.render.renderer import RenderContext, Renderer
from deckbuilder.source.decode import decode
from deckbuilder.source.parse import split_cards

PIECES = [
    "## ", "## 问题 $x_1$\n", "<!-- id: a -->\n", "<!-- id: b; type: cloze -->\n", "<!-- back -->\n",
    "```python\n", "```\n", "~~~\n", "````\n", "```python check\n", "$$\n", "$", "\\[", "\\]", "\\(", "\\)",
    "{{c1::", "}}", "{", "}", "\\begin{aligned}", "\\end{aligned}", "- ", "  - ", "1. ", "| a | b |\n|---|---|\n",
    "![x](../../assets/none.png)", "<script>", "<a href='javascript:x'>", "<!--", "-->", "---\n", "tags: [a]\n",
    "\n", "\n\n", "*", "_", "\\\\", "&", "<", "文字", "`", "# 标题\n", "\t",
]  # fmt: skip
markdownish = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=60).map("".join)


def render_all(text: str) -> None:
    cards, problems = split_cards(text, "cards/x/f.md", "x")
    for problem in problems:
        assert problem.location.path == "cards/x/f.md" and problem.location.line >= 0
    renderer = Renderer(RenderContext(Path("/nonexistent-root")))
    for card in cards:
        rendered, found = renderer.render(card)
        assert isinstance(rendered.answer_html, str)
        for problem in found:
            assert problem.location.line >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
def test_any_markdownish_text_gives_cards_or_diagnostics(text: str) -> None:
    render_all(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_unicode_text(text: str) -> None:
    render_all(text)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_any_bytes_decode_or_report_a_line(data: bytes) -> None:
    text, problems = decode(data, "f.md")
    if text is None:
        assert problems
        for problem in problems:
            assert problem.message == "file is not valid UTF-8" or problem.message.startswith("control character U+")
            assert 1 <= problem.location.line <= data.count(b"\n") + data.count(b"\r") + 1
    else:
        assert problems == []
        assert not any(c in text for c in "\x00\x1f\x7f")
        render_all(text)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.sampled_from(["```", "$$", "- ", "> "]))
def test_deep_nesting(depth: int, opener: str) -> None:
    text = "## Q\n<!-- id: q -->\n" + "".join("  " * i + opener + "x\n" for i in range(depth * 5))
    render_all(text)
