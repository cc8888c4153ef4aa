"""The render speed-ups change nothing: every card renders the same with Python-Markdown's own
inline and raw-HTML passes and Pygments' default style, and the shortcuts are really taken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import markdown
from hypothesis import HealthCheck, given, settings
from markdown.preprocessors import HtmlBlockPreprocessor
from markdown.treeprocessors import InlineProcessor

from conftest import ROOT
from deckbuilder.config import load_config
from deckbuilder.model import Card
from deckbuilder.parse import split_cards
from deckbuilder.pipeline import parse_all
from deckbuilder.render import (
    EXTENSION_CONFIGS,
    EXTENSIONS,
    RenderContext,
    Renderer,
    SkippingHtmlBlockPreprocessor,
    SkippingInlineProcessor,
)
from test_properties import markdownish

TRICKY = """\
## 链接 [a](http://x.org) 与 ![图](x.png) 与 [ref][1] 与 <http://auto.link> 与 <me@mail.org>
<!-- id: t1 -->
行尾两个空格{TRAILING}
换行；实体 &amp; &#42; &copy;；转义 \\* \\_ \\$；强调 *a* **b** _c_ __d__ ***e***；代码 `x*y` ``a`b``；
数学 $a_1 * b_2$ 与 \\(x^*\\) 与 $$y$$；HTML <span>内联</span> <!-- 注释 --> <b>粗</b>；美元 $5 和 $10。
[1]: http://ref.org "标题"

| $a$ | *b* |
|---|---|
| `c` | [d](e) |

- 列表 *强调* 和 $\\sqrt{{x}}$
  - 嵌套 [链接](f)
""".format(TRAILING="  ")  # a Markdown line break; kept out of the source, where it would be stripped


def stock_renderer(root: Path) -> Renderer:
    """Our renderer with Python-Markdown's own inline and raw-HTML passes and Pygments' default style."""
    renderer = Renderer(RenderContext(root))
    highlight = {**EXTENSION_CONFIGS["pymdownx.highlight"], "pygments_style": "default"}
    renderer.md = markdown.Markdown(
        extensions=EXTENSIONS, extension_configs={**EXTENSION_CONFIGS, "pymdownx.highlight": highlight}
    )
    return renderer


def assert_same(cards: list[Card], root: Path) -> None:
    fast, stock = Renderer(RenderContext(root)), stock_renderer(root)
    assert type(fast.md.treeprocessors["inline"]) is SkippingInlineProcessor
    assert type(stock.md.treeprocessors["inline"]) is InlineProcessor
    assert type(fast.md.preprocessors["html_block"]) is SkippingHtmlBlockPreprocessor
    assert type(stock.md.preprocessors["html_block"]) is HtmlBlockPreprocessor
    for card in cards:
        assert fast.render(card) == stock.render(card), card.location


def test_every_real_card_renders_as_with_the_stock_inline_pass() -> None:
    config = load_config(ROOT)
    cards, _, _ = parse_all(config, None)
    assert len(cards) > 300
    assert_same(cards, ROOT)


def test_generated_benchmark_cards_render_as_with_the_stock_inline_pass(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "400", str(tmp_path / "bench")],
        check=True,
        capture_output=True,
    )
    cards, _, _ = parse_all(load_config(tmp_path / "bench"), None)
    assert len(cards) == 400
    assert_same(cards, tmp_path / "bench")


def test_tricky_markdown_renders_as_with_the_stock_inline_pass() -> None:
    cards, problems = split_cards(TRICKY, "cards/x/t.md", "x")
    assert problems == [] and len(cards) == 1
    assert_same(cards, ROOT)
    rendered = Renderer(RenderContext(ROOT)).render(cards[0])[0]
    html = rendered.question_html + rendered.answer_html
    for piece in ['<a href="http://x.org">', "<br>", "&amp;", "<em>a</em>", "<strong>b</strong>", "<code>x*y</code>"]:
        assert piece in html  # the patterns that may be skipped elsewhere did run here


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
def test_any_markdownish_text_renders_as_with_the_stock_inline_pass(text: str) -> None:
    cards, _ = split_cards(text, "cards/x/f.md", "x")
    assert_same(cards, Path("/nonexistent-root"))


def test_patterns_without_their_trigger_are_not_tried() -> None:
    renderer = Renderer(RenderContext(ROOT))
    tried: list[str] = []
    inline = renderer.md.treeprocessors["inline"]
    original = inline._InlineProcessor__applyPattern

    def spy(pattern: object, *args: object) -> object:
        tried.append(type(pattern).__name__)
        return original(pattern, *args)

    inline._InlineProcessor__applyPattern = spy
    card = split_cards("## 问\n<!-- id: s -->\n纯中文，含公式 $x$ 和 *强调*。\n", "cards/x/s.md", "x")[0][0]
    renderer.render(card)
    assert "InlineArithmatexPattern" in tried and {"DelimiterProcessor", "AsteriskProcessor"} & set(tried)
    untried = {"LinkInlineProcessor", "AutolinkInlineProcessor", "HtmlInlineProcessor", "BacktickInlineProcessor"}
    assert not untried & set(tried)


def test_code_is_highlighted_through_the_fast_lexer() -> None:
    from deckbuilder import fastlex
    from deckbuilder.render import FastHighlight

    fastlex._joined.clear()
    renderer = Renderer(RenderContext(ROOT))
    html = renderer.convert("```python\nimport torch  # 注释\n```\n")
    assert '<span class="kn">import</span>' in html
    assert renderer.md.preprocessors["fenced_code_block"].highlighter is FastHighlight
    assert any(state == "root" and joined is not None for (_, state), joined in fastlex._joined.items())
