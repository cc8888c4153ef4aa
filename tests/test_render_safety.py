"""Cards that would reach a learner broken never pass `check` (render safety)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import missing
from conftest import MakeProject
from deckbuilder.render.renderer import RenderContext, Renderer
from deckbuilder.source.parse import split_cards

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
    from deckbuilder.render.texguard import mathjax_tex

    assert name in mathjax_tex()[0]


# Odd files and state: never a traceback or a silent merge.


def parse_file_bytes(data: bytes) -> tuple[list[str], list[tuple[int, str]]]:
    from deckbuilder.source.files import parse_bytes

    cards, problems = parse_bytes(data, "x.md", "s")
    return [c.id for c in cards], [(p.location.line, p.message) for p in problems]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_files_read_like_lf(newline: str) -> None:
    text = "## 一？\n<!-- id: a -->\n\n答一。\n\n## 二？\n<!-- id: b -->\n\n答二。\n"
    ids, problems = parse_file_bytes(text.replace("\n", newline).encode())
    assert (ids, problems) == (["a", "b"], [])


def test_only_newline_ends_a_line() -> None:
    text = "## 一？\n<!-- id: a -->\n\n答\u2028## 不是标题\u0085也不是\n"
    ids, problems = parse_file_bytes(text.encode())
    assert (ids, problems) == (["a"], [])


@pytest.mark.parametrize("prefix", ["\ufeff## ", "\u200b## ", "＃＃ ", "##"])
def test_a_heading_lookalike_is_an_error_not_a_merge(prefix: str) -> None:
    text = f"## 一？\n<!-- id: a -->\n\n答。\n\n{prefix}二？\n<!-- id: b -->\n\n答二。\n"
    ids, problems = parse_file_bytes(text.encode())
    assert ids == ["a"]
    assert problems[0][0] == 6 and "looks like a card heading but is not one" in problems[0][1]


def test_the_same_problem_twice_is_reported_at_each_line() -> None:
    source = "## 问\n<!-- id: a -->\n\n<b onclick=x>一</b>\n\n<b onclick=y>二</b>\n"
    assert [line for line, message in problems_of(source) if "onclick" in message] == [4, 6]


def test_cloze_protection_characters_cannot_come_from_authors() -> None:
    _, problems = parse_file_bytes("## 问\n<!-- id: a -->\n\n答\ue000案\n".encode())
    assert problems == [(4, "U+E000 is reserved by deckbuilder")]


def test_ids_keeps_a_crlf_file_crlf(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conftest import DECK_TOML, SYLLABUS
    from deckbuilder.cli import main

    (tmp_path / "cards/basics").mkdir(parents=True)
    (tmp_path / "deck.toml").write_text(DECK_TOML, encoding="utf-8")
    (tmp_path / "syllabus").mkdir()
    (tmp_path / "syllabus/questions.yaml").write_text(SYLLABUS, encoding="utf-8")
    card = tmp_path / "cards/basics/a.md"
    card.write_bytes("\ufeff## 问？\r\n\r\n答。\r\n".encode())
    result = CliRunner().invoke(main, ["ids", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = card.read_bytes()
    assert data.startswith("\ufeff## 问？\r\n<!-- id: basics-".encode()) and b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "entry",
    [
        '{"hash": "x", "mod": 99999999999999999999, "version": "1.0.0"}',
        '{"hash": "x", "mod": true, "version": "1.0.0"}',
        '{"hash": "x", "mod": 1700000000, "version": "1.0 .0"}',
    ],
)
def test_hand_edited_ledger_values_are_errors(entry: str, make_project: MakeProject) -> None:
    from deckbuilder.config import load_config
    from deckbuilder.pipeline import gather

    root = make_project({"cards/ledger.json": f'{{"format": 1, "notetypes": {{}}, "cards": {{"b-one": {entry}}}}}'})
    errors = [str(d) for d in gather(load_config(root)).report.errors()]
    assert any(e.startswith("cards/ledger.json: error: ledger entry cards.b-one needs") for e in errors), errors


def test_deeply_nested_ledger_is_an_error(make_project: MakeProject) -> None:
    from deckbuilder.config import load_config
    from deckbuilder.pipeline import gather

    root = make_project({"cards/ledger.json": "[" * 100_000 + "]" * 100_000})
    errors = [str(d) for d in gather(load_config(root)).report.errors()]
    assert "cards/ledger.json: error: ledger is nested too deeply to be a ledger" in errors


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('title = "测试牌组"', 'title = "测试::牌组"'), "deck.toml:1: error: 'title' must not contain '::'"),
        (('slug = "mini"', 'slug = "mini\\n"'), "deck.toml:2: error: 'slug' has a line break or spaces at its ends"),
        (('title = "更多"', 'title = "更::多"'), "deck.toml:13: error: subdeck 'more': 'title' must be one line"),
        (
            ('description = "fixture"', 'description = "fixture"\ncolour = 1'),
            "deck.toml:6: error: unknown key 'colour'",
        ),
    ],
)
def test_deck_toml_errors_carry_their_line(make_project: MakeProject, change: tuple[str, str], message: str) -> None:
    from conftest import DECK_TOML
    from deckbuilder.config import ConfigError, load_config

    root = make_project({"deck.toml": DECK_TOML.replace(*change)})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert any(str(d).startswith(message) for d in caught.value.diagnostics), [str(d) for d in caught.value.diagnostics]


def test_did_you_mean_for_languages_images_and_subdecks(make_project: MakeProject) -> None:
    from deckbuilder.config import load_config
    from deckbuilder.pipeline import gather

    card = "## 问\n<!-- id: a -->\n\n```pyhton\nx = 1\n```\n\n![图](../../assets/dots.png)\n"
    root = make_project({"cards/more/a.md": card, "cards/mroe/b.md": "## 问\n<!-- id: b -->\n答。\n"})
    errors = [str(d) for d in gather(load_config(root)).report.errors()]
    assert "cards/more/a.md:4: error: unknown code language 'pyhton'; did you mean 'python'?" in errors
    assert "cards/more/a.md:8: error: image '../../assets/dots.png' not found; did you mean 'dot.png'?" in errors
    assert "cards/mroe/b.md: error: folder 'mroe' is not a subdeck listed in deck.toml; did you mean 'more'?" in errors


def test_a_space_written_as_percent_20_finds_the_file(make_project: MakeProject) -> None:
    from conftest import PNG_1X1
    from deckbuilder.config import load_config
    from deckbuilder.pipeline import gather

    card = "## 问\n<!-- id: a -->\n\n![图](../../assets/my%20fig.png)\n"
    root = make_project({"cards/more/a.md": card, "assets/my fig.png": PNG_1X1})
    report = gather(load_config(root)).report
    assert report.errors() == []
    assert [path.name for r in report.rendered if r.card.id == "a" for _, path in r.media] == ["my fig.png"]


def test_a_markdown_file_with_the_long_extension_is_a_warning(make_project: MakeProject) -> None:
    from deckbuilder.config import load_config
    from deckbuilder.pipeline import gather

    root = make_project({"cards/more/extra.markdown": "## 问\n<!-- id: c -->\n答。\n"})
    found = [str(d) for d in gather(load_config(root)).report.diagnostics]
    assert "cards/more/extra.markdown: warning: card files end in '.md'; this '.markdown' file is not read" in found


def test_written_files_follow_the_umask(make_project: MakeProject, tmp_path: Path) -> None:
    import os
    import stat

    from deckbuilder.config import load_config
    from deckbuilder.pipeline import build

    old = os.umask(0o022)
    try:
        root = make_project()
        package, _ = build(load_config(root), tmp_path / "dist")
    finally:
        os.umask(old)
    assert package is not None
    assert stat.S_IMODE(package.stat().st_mode) == 0o644
    assert stat.S_IMODE((root / "cards/ledger.json").stat().st_mode) == 0o644


def test_the_pre_commit_hook_runs_the_checker(make_project: MakeProject) -> None:
    import yaml
    from click.testing import CliRunner

    from deckbuilder.cli import main

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    program, *args = hook["entry"].split()
    assert program == "deckbuilder" and hook["pass_filenames"] is False
    root = make_project()
    assert CliRunner().invoke(main, [*args, "--project", str(root)]).exit_code == 0
    (root / "cards/more/bad.md").write_text("## 问\n<!-- id: x -->\n\n$\\href{javascript:x}{y}$\n", encoding="utf-8")
    assert CliRunner().invoke(main, [*args, "--project", str(root)]).exit_code == 1


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("前文 $$x 二行", 4, "display math shows as text"),
        ("价格 $x $ 与 \\\\(y\\\\)", 4, "'\\(' shows as text"),
        ("`code` 然后 $a$b$ 与 $ 5$", 4, None),  # nothing left over: dollars that are not math are fine
        ("| a | b |\n|---|---|\n| 1 | 2 | 3 |", 6, "table row has 3 cells, its header 2"),
        ("<div>\n\n**粗体**", 4, "<div> is never closed"),
    ],
)
def test_safety_net_after_rendering(body: str, line: int, message: str | None) -> None:
    found = problems_of(f"## 问\n<!-- id: a -->\n\n{body}\n")
    if message is None:
        assert found == []
    else:
        assert any(at == line and message in text for at, text in found), found


def test_a_fence_left_open_is_an_error_where_it_opened() -> None:
    source = "## 问\n<!-- id: a -->\n\n```python\nx = 1\n\n正文\n\n```python\ny = 2\n```\n"
    assert (4, "code fence opened here is not closed before another opens at line 9") in problems_of(source)


def test_the_text_of_a_hidden_check_never_shows() -> None:
    from deckbuilder.model import CodeBlock, Location
    from deckbuilder.render.safetynet import leftovers

    check = CodeBlock("python", "assert double(21) == 42\n", Location("x.md", 9), is_check=True)
    assert leftovers("<p>assert double(21) == 42</p>", (check,)) == [
        ("assert double(21) == 42", "the text of a hidden 'python check' block shows on the card")
    ]
    assert leftovers("<p>别的文字</p>", (check,)) == []


def test_the_render_stack_is_the_locked_one() -> None:
    """setup.sh installs render.lock with hashes; what renders must be exactly that."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts/lock.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    locked = (ROOT / "render.lock").read_text(encoding="utf-8")
    for name in ("Markdown", "pymdown-extensions", "Pygments", "genanki", "nh3"):
        assert f"\n{name}==" in locked and "--hash=sha256:" in locked


def test_display_math_that_opens_mid_line_keeps_its_closing_line() -> None:
    """The dialect reads blocks from the spans: a `$$` that closes a formula opened mid-line is
    not taken for a new opener (which would split the formula with a blank line)."""
    from deckbuilder.render.dialect import normalize

    assert normalize("text $$\nx\n$$") == "text $$\nx\n$$"
    assert normalize("段落\n$$\nx\n\ny\n$$\n后文") == "段落\n\n$$\nx\ny\n$$\n\n后文"


def test_one_scanner_for_blocks_serves_the_splitter_the_dialect_and_the_checks() -> None:
    """Fences and display formulas come from source/spans.blocks everywhere: a formula opened in a
    block quote is one for the splitter too (left open, it is reported), and its span is found."""
    from deckbuilder.source.spans import blocks, card_spans

    text = "段落\n> 引用\n> $$\n> z\n> $$\n"
    assert [(b.kind, b.first, b.last) for b in blocks(text.split("\n"))] == [("math", 2, 4)]
    cards, problems = split_cards(f"## 问\n<!-- id: a -->\n\n{text}", "x.md", "s")
    assert problems == [] and [s.kind for s in card_spans(cards[0])[1]] == ["math"]
    _, problems = split_cards("## 问\n<!-- id: a -->\n\n> $$\n> z\n", "x.md", "s")
    assert [(p.location.line, p.message) for p in problems] == [
        (4, "display math opened with '$$' here is never closed")
    ]
