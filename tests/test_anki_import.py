"""The built package, imported into the real Anki: content, media, updates and history."""

from __future__ import annotations

import re
from pathlib import Path

import genanki
import pytest

from anki_support import import_package, notes_by_guid, open_collection
from conftest import MORE_MD, MakeProject
from deckbuilder.config import load_config
from deckbuilder.pipeline import build

pytestmark = pytest.mark.slow


def build_into(root: Path, out: Path) -> Path:
    path, report = build(load_config(root), out)
    assert path is not None, [str(d) for d in report.diagnostics]
    return path


def test_import_into_fresh_collection(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    package = build_into(root, tmp_path / "dist")
    col = open_collection(tmp_path / "anki")
    try:
        log = import_package(col, package)
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (3, 0, 0)
        names = {d.name for d in col.decks.all_names_and_ids()}
        assert {"测试牌组", "测试牌组::01 基础", "测试牌组::02 更多"} <= names
        root_deck = col.decks.by_name("测试牌组")
        assert "v1.0.0" in root_deck["desc"]

        notes = notes_by_guid(col)
        first = notes[genanki.guid_for("test:mini", "b-one")]
        assert first.note_type()["name"] == "deckbuilder 问答 (Basic)"
        assert [f["name"] for f in first.note_type()["flds"]] == ["Question", "Answer", "Source"]
        assert first["Question"] == '什么是 <span class="arithmatex">\\(x_1\\)</span>？'
        assert '<span class="arithmatex">\\(a_1 * b_2 &lt; c_3\\)</span>' in first["Answer"]
        assert "assert double" not in first["Answer"]  # the check stays hidden
        assert "cards/basics/basics.md" in first["Source"] and "b-one" in first["Source"]
        assert set(first.tags) >= {"fixture", "formula", "syllabus::Q001", "subdeck::basics"}
        card = first.cards()[0]
        assert col.decks.name(card.did) == "测试牌组::01 基础"

        # media: the image is stored under a content-hashed name and the field points at it
        image = re.search(r'src="([^"]+)"', first["Answer"])
        assert image is not None and re.fullmatch(r"dot-[0-9a-f]{12}\.png", image.group(1))
        media_file = Path(col.media.dir()) / image.group(1)
        assert media_file.read_bytes() == (root / "assets/dot.png").read_bytes()
        assert col.media.check().missing == []

        cloze = notes[genanki.guid_for("test:mini", "b-cloze")]
        assert cloze.note_type()["type"] == 1  # MODEL_CLOZE
        cloze_card = cloze.cards()[0]
        question_html = cloze_card.render_output().question_text
        assert "d_k" not in question_html and "[...]" in question_html
        assert "d_k" in cloze_card.render_output().answer_text
        assert "额外说明" in cloze_card.render_output().answer_text

        basic_css = first.note_type()["css"]
        assert ".card.nightMode .highlight" in basic_css
    finally:
        col.close()


def test_edit_rebuild_reimport_updates_one_note_and_keeps_history(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build_into(root, tmp_path / "v1")
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, first)
        notes = notes_by_guid(col)
        studied = notes[genanki.guid_for("test:mini", "m-two")].cards()[0]
        # study the card in the 02 deck: answer it "Good" through the scheduler
        col.decks.select(studied.did)
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
        studied_id = card.id
        reviews_before = col.db.scalar("select count() from revlog where cid = ?", studied_id)
        assert reviews_before == 1
        # a learner's own edit on a note that will not change in the next release
        mine = notes[genanki.guid_for("test:mini", "b-one")]
        mine["Answer"] = mine["Answer"] + "<p>我的笔记</p>"
        col.update_note(mine)

        (root / "cards/more/more.md").write_text(MORE_MD.replace("答案二。", "答案二（已修订）。"), encoding="utf-8")
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
        second = build_into(root, tmp_path / "v2")
        log = import_package(col, second)
        assert len(log.updated) == 1
        assert len(log.new) == 0 and len(log.conflicting) == 0
        assert len(log.duplicate) == 2  # Anki reports unchanged notes as skipped "duplicate"
        assert col.note_count() == 3
        after = notes_by_guid(col)
        assert "已修订" in after[genanki.guid_for("test:mini", "m-two")]["Answer"]
        assert "我的笔记" in after[genanki.guid_for("test:mini", "b-one")]["Answer"]
        assert col.db.scalar("select count() from revlog where cid = ?", studied_id) == 1
        assert col.get_card(studied_id).reps == 1
    finally:
        col.close()


def test_github_style_blocks_arrive_rendered_in_the_real_anki(make_project: MakeProject, tmp_path: Path) -> None:
    """The breakages a new user met (raw `$$`, a table row cut in half) do not reach Anki's fields."""
    from deckbuilder.render.safetynet import visible_text

    golden = (Path(__file__).parent / "golden" / "github_blocks.md").read_text(encoding="utf-8")
    root = make_project({"cards/more/blocks.md": golden.replace("<!-- id: a -->", "<!-- id: gh-blocks -->")})
    package = build_into(root, tmp_path / "dist")
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, package)
        note = notes_by_guid(col)[genanki.guid_for("test:mini", "gh-blocks")]
        answer = note["Answer"]
    finally:
        col.close()
    text = visible_text(answer)
    assert "$$" not in text and "\\[" not in text and "```" not in text
    assert (
        answer.count('<div class="arithmatex">') == 4
    )  # under a paragraph, in a list item, in a quote, with "- " lines
    rows = re.findall(r"<tr>(.*?)</tr>", answer, re.S)
    assert [row.count("<td>") + row.count("<th>") for row in rows] == [2, 2, 2]  # no cell lost or split
