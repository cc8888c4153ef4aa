"""The card splitter: cards, metadata and exact diagnostics."""

from __future__ import annotations

from deckbuilder.model import CardType
from deckbuilder.source.parse import split_cards


def diagnostics(text: str) -> list[str]:
    return [str(d) for d in split_cards(text, "c.md", "sub")[1]]


def test_cards_metadata_and_lines() -> None:
    text = (
        "---\ntags: [t1]\n---\n\n# 标题\n\n"
        "## 问题 $x$\n<!-- id: c-1; syllabus: Q001, Q002; tags: a b -->\n\n答案\n\n"
        "## 第二\n<!-- id: c-2; type: cloze -->\n{{c1::x}}\n<!-- back -->\n额外\n"
    )
    cards, problems = split_cards(text, "c.md", "sub")
    assert problems == []
    first, second = cards
    assert (first.id, first.question, first.answer) == ("c-1", "问题 $x$", "答案")
    assert first.syllabus == ("Q001", "Q002")
    assert first.tags == ("t1", "a", "b")
    assert (first.location.line, first.answer_line) == (7, 10)
    assert second.card_type is CardType.CLOZE
    assert (second.answer, second.back_extra, second.back_extra_line) == ("{{c1::x}}", "额外", 16)


def test_heading_inside_fence_and_math_belongs_to_answer() -> None:
    text = "## Q\n<!-- id: q -->\n```python\n## comment\n```\n$$\n## x\n$$\n\\[\n## y\n\\]\n"
    cards, problems = split_cards(text, "c.md", "sub")
    assert problems == []
    assert len(cards) == 1
    assert "## comment" in cards[0].answer and "## x" in cards[0].answer and "## y" in cards[0].answer


def test_check_block_is_hidden_but_kept() -> None:
    text = "## Q\n<!-- id: q -->\n```python\nx = 1\n```\n\n```python check\nassert x == 1\n```\nafter\n"
    card = split_cards(text, "c.md", "sub")[0][0]
    assert "assert" not in card.answer
    assert [b.source for b in card.python_blocks] == ["x = 1\n"]
    assert [(b.source, b.location.line) for b in card.checks] == [("assert x == 1\n", 7)]
    # the hidden block leaves blank lines, so "after" keeps its line number
    assert card.answer.splitlines()[card.answer.splitlines().index("after")] == "after"
    assert card.answer_line + card.answer.splitlines().index("after") == 10


def test_unclosed_fence_and_math() -> None:
    assert diagnostics("## Q\n<!-- id: q -->\n```python\nx\n") == [
        "c.md:3: error: code fence opened here is never closed (expected ```)"
    ]
    assert diagnostics("## Q\n<!-- id: q -->\n$$\nx\n") == [
        "c.md:3: error: display math opened with '$$' here is never closed"
    ]


def test_missing_and_bad_metadata() -> None:
    assert diagnostics("## Q\nanswer\n") == [
        "c.md:1: error: card has no metadata comment '<!-- id: ... -->' on the line after its heading"
    ]
    assert diagnostics("## Q\n<!-- syllabus: Q001 -->\nanswer\n") == [
        "c.md:1: error: card has no id (run 'deckbuilder ids' to assign one)"
    ]
    assert diagnostics("## Q\n<!-- id: Bad_Id; syllabus: 12; colour: red; type: x -->\nanswer\n") == [
        "c.md:2: error: unknown metadata entry 'colour: red' (keys: id, syllabus, tags, type)",
        "c.md:2: error: card id 'Bad_Id' must be lower-case kebab case [a-z0-9-]",
        "c.md:2: error: syllabus id '12' must look like Q001",
        "c.md:2: error: card type 'x' must be 'basic' or 'cloze'",
    ]


def test_empty_question_and_answer() -> None:
    assert diagnostics("##\n<!-- id: q -->\n\n## R\n<!-- id: r -->\n") == [
        "c.md:1: error: empty question: the '## ' heading has no text",
        "c.md:1: error: empty answer",
        "c.md:4: error: empty answer",
    ]


def test_text_outside_cards_is_an_error() -> None:
    assert diagnostics("# Title\n<!-- a comment\nspanning -->\nstray text\n## Q\n<!-- id: q -->\nA\n") == [
        "c.md:4: error: text outside any card would be dropped (a card starts at '## ')"
    ]


def test_front_matter_errors() -> None:
    assert diagnostics("---\ntags: [a\n---\n") == [
        "c.md:3: error: invalid front matter: expected ',' or ']', but got '<stream end>'"
    ]
    assert diagnostics("---\ncolour: red\n---\n") == [
        "c.md:1: error: unknown front matter key 'colour' (allowed: tags)"
    ]
    assert diagnostics("---\ntags: [a]\n") == ["c.md:1: error: front matter is not closed by '---'"]


def test_back_marker_only_for_cloze() -> None:
    assert diagnostics("## Q\n<!-- id: q -->\nA\n<!-- back -->\nB\n") == [
        "c.md:4: error: '<!-- back -->' is only for cloze cards"
    ]
