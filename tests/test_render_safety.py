"""Cards that would reach a learner broken never pass `check` (render safety)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from browser_support import missing
from deckbuilder.parse import split_cards
from deckbuilder.render import RenderContext, Renderer

ROOT = Path(__file__).resolve().parent.parent


def problems_of(source: str) -> list[tuple[int, str]]:
    cards, problems = split_cards(source, "x.md", "s")
    renderer = Renderer(RenderContext(ROOT))
    found = [(p.location.line, p.message) for p in problems]
    for card in cards:
        found += [(p.location.line, p.message) for p in renderer.render(card)[1]]
    return found


def test_undefined_macro_is_an_error_at_its_line_with_a_suggestion() -> None:
    source = "## 问\n<!-- id: a -->\n\n第一行 $x$\n\n$\\softmax(z)$ 与 $\\alpah$\n"
    assert problems_of(source) == [
        (6, "undefined TeX macro '\\softmax' (Anki shows it in red)"),
        (6, "undefined TeX macro '\\alpah' (Anki shows it in red); did you mean '\\alpha'?"),
    ]


def test_unknown_environment_is_an_error() -> None:
    source = "## 问\n<!-- id: a -->\n\n$$\n\\begin{algined}\nx\n\\end{algined}\n$$\n"
    assert problems_of(source) == [(5, "unknown TeX environment 'algined'; did you mean 'aligned'?")]


def test_tex_is_quoted_as_written() -> None:
    source = "## 问\n<!-- id: a -->\n\n$\\frac{a}{b$\n"
    assert problems_of(source) == [(4, "1 unclosed '{' in math: '\\frac{a}{b'")]


def test_ordinary_deck_math_is_defined() -> None:
    tex = "$\\mathrm{softmax}\\!\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right)V,\\ \\lVert x\\rVert_2 \\le \\tfrac{1}{2}$"
    assert problems_of(f"## 问\n<!-- id: a -->\n\n{tex}\n") == []


def test_committed_macro_data_is_what_the_script_generates(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules/mathjax/es5/node-main.js").is_file():
        missing("node and MathJax are needed (npm install)")
    out = tmp_path / "tex.json"
    subprocess.run([node, str(ROOT / "scripts/mathjax_macros.js"), str(out)], check=True, capture_output=True)
    committed = json.loads((ROOT / "src/deckbuilder/data/mathjax-tex.json").read_text(encoding="utf-8"))
    assert json.loads(out.read_text(encoding="utf-8")) == committed
    assert committed["mathjax"] == "3.2.2" and "textmacros" not in committed["packages"]


@pytest.mark.parametrize("name", ["frac", "alpha", "operatorname", "mathbb", "lVert", "tfrac", "boldsymbol", ","])
def test_data_knows_the_macros_the_deck_uses(name: str) -> None:
    from deckbuilder.texguard import mathjax_tex

    assert name in mathjax_tex()[0]
