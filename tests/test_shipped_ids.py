"""Ids that reached learners (they are in the committed ledger) never silently vanish or change type."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import MORE_MD, MakeProject
from deckbuilder.cli import main
from deckbuilder.config import load_config
from deckbuilder.pipeline import build


def built(make_project: MakeProject, tmp_path: Path) -> Path:
    root = make_project()
    package, report = build(load_config(root), tmp_path / "dist")
    assert package is not None, [str(d) for d in report.diagnostics]
    return root


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--project", str(root)])
    return result.exit_code, result.output


def test_ledger_records_each_cards_note_type(make_project: MakeProject, tmp_path: Path) -> None:
    root = built(make_project, tmp_path)
    cards = json.loads((root / "cards/ledger.json").read_text(encoding="utf-8"))["cards"]
    assert {k: v["type"] for k, v in cards.items()} == {"b-one": "basic", "b-cloze": "cloze", "m-two": "basic"}


def test_a_shipped_id_that_vanishes_fails_plain_check_and_build(make_project: MakeProject, tmp_path: Path) -> None:
    root = built(make_project, tmp_path)
    (root / "cards/more/more.md").write_text(MORE_MD.replace("m-two", "m-renamed"), encoding="utf-8")
    message = (
        "cards/ledger.json: error: card id 'm-two' is in the ledger (it was shipped) and is gone without being "
        "retired; restore it, or remove it with 'deckbuilder retire m-two'"
    )
    for command in (["check"], ["build", "--out", str(tmp_path / "again")]):
        code, output = run(root, *command)
        assert code == 1 and message in output, output
    assert not (tmp_path / "again").exists()


def test_a_retired_id_is_fine(make_project: MakeProject, tmp_path: Path) -> None:
    root = built(make_project, tmp_path)
    code, output = run(root, "retire", "m-two", "--reason", "merged")
    assert code == 0, output
    assert run(root, "check")[0] == 0


def test_a_shipped_card_cannot_change_note_type(make_project: MakeProject, tmp_path: Path) -> None:
    root = built(make_project, tmp_path)
    cloze = "## 第二题\n<!-- id: m-two; syllabus: Q002; type: cloze -->\n\n答案{{c1::二}}。\n"
    (root / "cards/more/more.md").write_text(cloze, encoding="utf-8")
    code, output = run(root, "check")
    assert code == 1
    assert (
        "cards/more/more.md:1: error: card 'm-two' shipped as a basic note; Anki cannot change a note's type on "
        "import: keep it basic, or retire 'm-two' and give the cloze card a new id"
    ) in output
