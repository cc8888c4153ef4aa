"""Golden render tests: tests/golden/*.md -> *.html (rewrite with --update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuilder.render.renderer import RenderContext, Renderer
from deckbuilder.source.parse import split_cards

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.md"))


def render_file(path: Path) -> str:
    cards, problems = split_cards(path.read_text(encoding="utf-8"), path.name, "golden")
    assert problems == []
    renderer = Renderer(RenderContext(GOLDEN))
    parts: list[str] = []
    for card in cards:
        rendered, found = renderer.render(card)
        assert found == []
        parts += [
            f"<!-- question -->\n{rendered.question_html}",
            f"<!-- answer -->\n{rendered.answer_html}",
        ]
        if rendered.back_extra_html:
            parts.append(f"<!-- back extra -->\n{rendered.back_extra_html}")
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, request: pytest.FixtureRequest) -> None:
    expected_path = case.with_suffix(".html")
    actual = render_file(case)
    if request.config.getoption("--update-golden"):
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"run pytest --update-golden to create {expected_path.name}"
    assert actual == expected_path.read_text(encoding="utf-8")


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 4
