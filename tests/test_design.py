"""Cards for daily review: the fold, the card-design check, stats and the study order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DECK_TOML, MakeProject
from deckbuilder.check.design import design_findings, recall_units
from deckbuilder.cli import main
from deckbuilder.config import ConfigError, DesignLimits, load_config
from deckbuilder.model import Severity
from deckbuilder.pipeline import gather
from deckbuilder.render.renderer import RenderContext, Renderer
from deckbuilder.source.parse import split_cards

FOLDED = """\
## LoRA 的 A、B 怎么初始化？
<!-- id: lora-init -->

- A 随机，B 为 0。

<!-- fold: 推导 -->

详解 $x_1$

```python
print(1)
```

## 填空
<!-- id: lora-cloze; type: cloze -->
$h = {{c1::BA}}x$

<!-- back -->
补充。

<!-- fold -->
更多。
"""


def test_fold_splits_the_answer_and_records_lines() -> None:
    cards, problems = split_cards(FOLDED, "x.md", "s")
    assert problems == []
    basic, cloze = cards
    assert basic.answer == "- A 随机，B 为 0。"
    assert basic.fold.startswith("详解 $x_1$") and basic.fold_line == 8 and basic.fold_label == "推导"
    assert [b.location.line for b in basic.shown_code()] == []  # the code is below the fold
    assert cloze.answer == "$h = {{c1::BA}}x$" and cloze.back_extra == "补充。"
    assert cloze.fold == "更多。" and cloze.fold_line == 22 and cloze.fold_label == ""


def test_fold_renders_as_closed_details_after_the_recall_part() -> None:
    cards, _ = split_cards(FOLDED, "x.md", "s")
    renderer = Renderer(RenderContext(Path(".")))
    basic, problems = renderer.render(cards[0])
    assert problems == []
    recall, _, fold = basic.answer_html.partition('<details class="fold"><summary>推导</summary>')
    assert "B 为 0" in recall and "<details" not in recall
    assert fold.rstrip().endswith("</details>") and "\\(x_1\\)" in fold and "open" not in fold
    cloze, _ = renderer.render(cards[1])
    assert "<details" not in cloze.answer_html  # the cloze text shows on both sides: never folded
    assert cloze.back_extra_html.startswith("<p>补充。</p>\n<details")
    assert "<summary>详解</summary>" in cloze.back_extra_html


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("## q\n<!-- id: a -->\nx\n<!-- fold -->\ny\n<!-- fold -->\nz\n", 6, "one '<!-- fold -->'"),
        ("## q\n<!-- id: a -->\nx\n<!-- fold -->\n\n", 4, "nothing below"),
        ("## q\n<!-- id: a; type: cloze -->\n{{c1::x}}\n<!-- fold -->\ny\n", 4, "goes after '<!-- back -->'"),
        ("## q\n<!-- id: a -->\nx\n<!-- fold: <b>x</b> -->\ny\n", 4, "fold label must be plain text"),
    ],
)
def test_fold_mistakes_are_errors_at_their_line(source: str, line: int, message: str) -> None:
    _, problems = split_cards(source, "x.md", "s")
    assert [(p.location.line, message in p.message) for p in problems] == [(line, True)]


def test_fold_marker_inside_code_is_code() -> None:
    cards, problems = split_cards("## q\n<!-- id: a -->\n```text\n<!-- fold -->\n```\n", "x.md", "s")
    assert problems == [] and cards[0].fold == "" and "<!-- fold -->" in cards[0].answer


@pytest.mark.parametrize(
    ("markdown", "units"),
    [
        ("注意力", 3),  # one per CJK character
        ("Pre-Norm and post norm", 4),  # one per Latin word
        ("**要点**：$QK^\\top$", 2 + 2),  # 7 TeX characters make 2 units
        ("- 见 `masked_fill(x)`", 1 + 2),  # code by its words
        ("![图](../../assets/x.png) 好", 1),  # an image path is not text to recall
        ("$$\n\\frac{a}{b}\n$$", 3),  # 11 characters
    ],
)
def test_recall_units(markdown: str, units: int) -> None:
    assert recall_units(markdown) == units


def design_of(source: str, enforce: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    cards, problems = split_cards(source, "x.md", "s")
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    limits = DesignLimits(recall_units=30, code_columns=20, near_duplicate=0.6, enforce=enforce)
    return [(d.location.line, d.message) for d in design_findings(cards, limits)]


def test_design_findings_each_at_its_line() -> None:
    source = (
        "## 是什么？为什么？\n<!-- id: a -->\n" + "字" * 31 + "\n\n"  # 2 questions, 31 units
        "## 一个问题？\n<!-- id: b -->\n答案，下一张卡会讲。\n\n"
        "## 代码？\n<!-- id: c -->\n```python\nx = 1\nlong_name = compute(alpha, beta)\n```\n"
        "<!-- fold -->\n```python\nthis_is_fine_below_the_fold = compute(alpha, beta, gamma)\n```\n\n"
        "## 填空\n<!-- id: d; type: cloze -->\n{{c1::softmax}} 沿 key 维，即 softmax 的输入。\n"
    )
    found = design_of(source)
    lines = [line for line, _ in found]
    assert lines == [3, 1, 7, 13, 22]
    messages = [message for _, message in found]
    assert "31 units (limit 30)" in messages[0]
    assert "asks 2 questions" in messages[1]
    assert "'下一张' refers to another card" in messages[2]
    assert "32 columns (a phone fits 20)" in messages[3]
    assert "c1 hides 'softmax'" in messages[4]


def test_near_duplicates_name_the_other_card() -> None:
    answer = "缩放点积注意力除以根号 d_k，让打分方差回到一，避免 softmax 饱和。"
    source = f"## 甲？\n<!-- id: a -->\n{answer}\n\n## 乙？\n<!-- id: b -->\n{answer}吧\n\n## 丙？\n<!-- id: c -->\n完全不同的内容，关于 LoRA 的低秩分解与合并。\n"
    found = design_of(source)
    assert found == [(7, found[0][1])] and "nearly repeats 'a' at x.md:1" in found[0][1]


def test_only_enforced_subdecks_warn() -> None:
    source = "## 是什么？为什么？\n<!-- id: a -->\n短。\n"
    cards, _ = split_cards(source, "x.md", "s")
    for enforce, severity in ((frozenset(), Severity.NOTE), (frozenset({"s"}), Severity.WARNING)):
        limits = DesignLimits(enforce=enforce)
        assert [d.severity for d in design_findings(cards, limits)] == [severity]


def test_check_strict_fails_only_on_enforced_design_warnings(make_project: MakeProject) -> None:
    two = "## 是什么？为什么？\n<!-- id: m-two -->\n答案。\n"
    root = make_project({"cards/more/more.md": two})
    runner = CliRunner()
    quiet = runner.invoke(main, ["check", "--strict", "--project", str(root)])
    assert quiet.exit_code == 0, quiet.output
    assert "1 design note(s)" in quiet.output and "asks 2 questions" not in quiet.output
    listed = runner.invoke(main, ["check", "--strict", "--design", "--project", str(root)])
    assert listed.exit_code == 0 and "cards/more/more.md:1: note: design: the prompt asks 2 questions" in listed.output
    (root / "deck.toml").write_text(DECK_TOML + '\n[design]\nenforce = ["more"]\n', encoding="utf-8")
    enforced = runner.invoke(main, ["check", "--strict", "--project", str(root)])
    assert enforced.exit_code == 1
    assert "cards/more/more.md:1: error: design: the prompt asks 2 questions" in enforced.output
    assert runner.invoke(main, ["check", "--project", str(root)]).exit_code == 0  # a warning without --strict


def test_stats_reports_each_subdeck(make_project: MakeProject) -> None:
    long_answer = "字" * 200
    root = make_project({"cards/more/more.md": f"## 一？二？\n<!-- id: m-two -->\n{long_answer}\n"})
    result = CliRunner().invoke(main, ["stats", "--project", str(root)])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if line.startswith(("basics", "more"))}
    # notes basic cloze median p90 max over within% 2q ref code cloze! dup
    assert rows["more"][1:] == ["1", "1", "0", "200", "200", "200", "1", "0", "1", "0", "0", "0", "0"]
    assert rows["basics"][1:4] == ["2", "1", "1"]


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ("recall_units = 5", "design.recall_units must be a whole number from 20 to 2000"),
        ("code_columns = true", "design.code_columns must be a whole number"),
        ("near_duplicate = 2", "design.near_duplicate must be a number from 0.2 to 1"),
        ('enforce = ["nope"]', "design.enforce names 'nope'"),
        ("colour = 1", "unknown key 'design.colour'"),
    ],
)
def test_design_settings_are_validated(make_project: MakeProject, design: str, message: str) -> None:
    root = make_project({"deck.toml": DECK_TOML + f"\n[design]\n{design}\n"})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert any(message in d.message for d in caught.value.diagnostics)


ORDERED_TOML = DECK_TOML.replace(
    'id = "basics"\ntitle = "基础"', 'id = "basics"\ntitle = "基础"\norder = ["z.md", "a.md"]'
)


def ordered_project(make_project: MakeProject) -> Path:
    cards = {
        f"cards/basics/{name}.md": f"## {name} 一？\n<!-- id: {name}-1 -->\n答。\n\n## {name} 二？\n<!-- id: {name}-2 -->\n答。\n"
        for name in ("a", "b", "z")
    }
    return make_project({"deck.toml": ORDERED_TOML, "cards/basics/basics.md": "", **cards})


def test_declared_order_comes_first_then_by_name(make_project: MakeProject) -> None:
    root = ordered_project(make_project)
    report = gather(load_config(root)).report
    assert [c.id for c in report.cards] == ["z-1", "z-2", "a-1", "a-2", "b-1", "b-2", "m-two"]


def test_order_naming_a_missing_file_is_an_error(make_project: MakeProject) -> None:
    root = make_project({"deck.toml": ORDERED_TOML})
    report = gather(load_config(root)).report
    assert any("'order' lists 'z.md'" in d.message and d.severity is Severity.ERROR for d in report.diagnostics)


def test_new_card_queue_in_the_real_anki_follows_the_declared_order(make_project: MakeProject, tmp_path: Path) -> None:
    from anki_support import import_package, open_collection
    from deckbuilder.pipeline import build

    root = ordered_project(make_project)
    package, report = build(load_config(root), tmp_path / "dist")
    assert package is not None, [str(d) for d in report.diagnostics]
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, package)
        col.decks.select(col.decks.id_for_name("测试牌组"))
        queued = col.sched.get_queued_cards(fetch_limit=20).cards
        order = [col.get_card(q.card.id).note()["Source"] for q in queued]
        ids = [next(i for i in ("z-1", "z-2", "a-1", "a-2", "b-1", "b-2", "m-two") if f">{i}<" in s) for s in order]
        assert ids == ["z-1", "z-2", "a-1", "a-2", "b-1", "b-2", "m-two"]
    finally:
        col.close()


def test_preview_makes_one_card_per_cloze_number_as_anki_does(make_project: MakeProject) -> None:
    from deckbuilder.preview.site import card_sides

    cloze = "## 填空\n<!-- id: m-two; type: cloze -->\n{{c1::甲}}与{{c2::乙::提示}}，再{{c1::丙}}。\n"
    root = make_project({"cards/more/more.md": cloze})
    config = load_config(root)
    rendered = next(r for r in gather(config).report.rendered if r.card.id == "m-two")
    first, second = card_sides(config, rendered)
    assert (first.ordinal, second.ordinal, first.anchor, second.source) == (1, 2, "m-two-c1", "cards/more/more.md:1 c2")
    assert "[...]与乙，再[...]" in first.front.replace('<span class="cloze" data-ordinal="1">', "").replace(
        "</span>", ""
    )
    assert "甲与[提示]，再丙" in second.front.replace('<span class="cloze" data-ordinal="2">', "").replace(
        "</span>", ""
    )
    assert '<span class="cloze" data-ordinal="2">乙</span>' in second.back and "甲" in second.back


def test_design_findings_come_back_from_the_cache_and_follow_deck_toml(make_project: MakeProject) -> None:
    """A card's design findings are cached with its render: a cached check lists the same ones,
    and a change of the [design] settings is seen at once (the entry is keyed by them)."""
    two = "## 是什么？为什么？\n<!-- id: m-two -->\n答案。\n"
    root = make_project({"cards/more/more.md": two})
    runner = CliRunner()
    fresh = runner.invoke(main, ["check", "--design", "--no-cache", "--project", str(root)])
    assert runner.invoke(main, ["build", "--project", str(root)]).exit_code == 0  # fills the cache
    db = root / ".cache/deckbuilder/cache-json.sqlite3"
    with sqlite3.connect(db) as conn:
        stored = [value.decode() for (value,) in conn.execute("select value from render")]
    assert sum("asks 2 questions" in value for value in stored) == 1  # what the cached check below reads
    cached = runner.invoke(main, ["check", "--design", "--project", str(root)])
    assert cached.output == fresh.output and "note: design: the prompt asks 2 questions" in cached.output
    (root / "deck.toml").write_text(DECK_TOML + '\n[design]\nenforce = ["more"]\n', encoding="utf-8")
    enforced = runner.invoke(main, ["check", "--strict", "--project", str(root)])
    assert enforced.exit_code == 1 and "error: design: the prompt asks 2 questions" in enforced.output
