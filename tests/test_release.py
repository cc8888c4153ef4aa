"""Releases: retire, diff, release notes and packages, checked against the real Anki."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import genanki
import pytest

from anki_support import import_package, notes_by_guid, open_collection
from conftest import MakeProject, Ran, run_cli
from deckbuilder.errors import ReleaseError
from deckbuilder.release.changelog import update_changelog
from deckbuilder.release.diff import diff
from deckbuilder.release.snapshot import inline_markdown, read_apkg
from deckbuilder.release.versioning import check_version

ROOT = Path(__file__).resolve().parent.parent


def cli(root: Path, *args: str, epoch: str = "1700000000") -> Ran:
    return run_cli(root, *args, env={"SOURCE_DATE_EPOCH": epoch})


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def first_version(make_project: MakeProject, tmp_path: Path) -> Path:
    """v1.0.0 built into tmp_path/v1, committed and tagged."""
    root = make_project({".gitignore": ".cache/\ndist/\n"})
    assert cli(root, "build", "--out", str(tmp_path / "v1")).returncode == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.0.0")
    git(root, "tag", "v1.0.0")
    return root


def second_version(root: Path, tmp_path: Path) -> None:
    """v1.1.0: one card added (math and code in its question), one edited, one retired; built and committed."""
    more = root / "cards/more/more.md"
    more.write_text(
        more.read_text(encoding="utf-8").replace("答案二。", "答案二（修订）。")
        + "\n## 新题 \\(p - y\\) 与 `x_1` 是什么？\n<!-- id: m-three; syllabus: Q002 -->\n新答案。\n",
        encoding="utf-8",
    )
    set_version(root, "1.1.0")
    retired = cli(root, "retire", "b-cloze", "--reason", "与另一张卡重复")
    assert retired.returncode == 0, retired.stderr
    assert cli(root, "build", "--out", str(tmp_path / "v2"), epoch="1700000500").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.1.0")


def set_version(root: Path, version: str) -> None:
    config = root / "deck.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text), encoding="utf-8")


def two_versions(make_project: MakeProject, tmp_path: Path) -> tuple[Path, Path, Path]:
    """v1.0.0, then v1.1.0 with one card added, one edited, one retired; both committed."""
    root = first_version(make_project, tmp_path)
    second_version(root, tmp_path)
    return root, tmp_path / "v1" / "mini-1.0.0.apkg", tmp_path / "v2" / "mini-1.1.0.apkg"


EXPECTED_SUMMARY = """\
1.0.0 → 1.1.0
added\t02 更多\t新题 \\(p - y\\) 与 x_1 是什么？
changed\t02 更多\t第二题是什么？
removed\t01 基础\t填空
1 added, 1 changed, 1 removed, 0 dropped
"""

EXPECTED_NOTES = """\
# 测试牌组 v1.1.0

与 v1.0.0 相比：新增 1 张，修订 1 张，删除 1 张。

## 新增

### 02 更多（1）
- 新题 $p - y$ 与 `x_1` 是什么？

## 修订

### 02 更多（1）
- 第二题是什么？

## 删除

### 01 基础（1）
- 填空

## 如何导入

1. Anki 桌面版：文件 → 导入（File → Import），选择 `mini-1.1.0.apkg`；AnkiDroid / AnkiMobile 直接打开该文件。
2. 导入选项保持默认即可：“更新笔记：仅当较新时”“更新笔记类型：仅当较新时”（Update notes / note types: If newer）；无需勾选“合并笔记类型”。
3. 学习进度不会丢失：卡片按 GUID 匹配，修订的卡片原地更新，复习记录与间隔保持不变；你自己改过、而本版本没有修订的卡片保持你的版本。本版本修订过的卡片会被新内容覆盖。
4. 导入不会删除任何卡片。已删除的卡片会被更新为“【已删除】”提示并带有标签 `removed`：在浏览器（Browse）中搜索 `tag:removed`，全选后“笔记 → 删除”（或暂停）即可。
"""


def test_retire_cuts_the_card_and_records_it(make_project: MakeProject, tmp_path: Path) -> None:
    root, _, _ = two_versions(make_project, tmp_path)
    text = (root / "cards/basics/basics.md").read_text(encoding="utf-8")
    assert "b-cloze" not in text and "填空" not in text and "## 什么是 $x_1$？" in text
    retired = json.loads((root / "cards/retired.json").read_text(encoding="utf-8"))["retired"]
    assert retired == {
        "b-cloze": {
            "version": "1.1.0",
            "subdeck": "basics",
            "question": "填空",
            "reason": "与另一张卡重复",
            "card_type": "cloze",
        }
    }


def test_diff_of_packages_and_of_git_refs(make_project: MakeProject, tmp_path: Path) -> None:
    root, v1, v2 = two_versions(make_project, tmp_path)
    by_file = cli(root, "diff", str(v1), str(v2), "--notes", str(tmp_path / "notes.md"))
    assert by_file.returncode == 0, by_file.stderr
    assert by_file.stdout == EXPECTED_SUMMARY
    assert (tmp_path / "notes.md").read_text(encoding="utf-8") == EXPECTED_NOTES
    by_ref = cli(root, "diff", "v1.0.0", "HEAD")
    assert by_ref.returncode == 0, by_ref.stderr
    assert by_ref.stdout == EXPECTED_SUMMARY
    bad = cli(root, "diff", "no-such-ref", "HEAD")
    assert bad.returncode == 1 and bad.stderr.startswith("error: cannot read git ref 'no-such-ref'")


def test_release_notes_instructions_hold_in_the_real_anki(make_project: MakeProject, tmp_path: Path) -> None:
    _, v1, v2 = two_versions(make_project, tmp_path)
    col = open_collection(tmp_path / "learner")
    try:
        import_package(col, v1)
        col.decks.select(col.decks.id_for_name("测试牌组::01 基础"))
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
        log = import_package(col, v2)
        # "updates arrive": the edited card and the removal notice; nothing conflicts
        assert (len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting)) == (1, 2, 1, 0)
        notes = notes_by_guid(col)
        assert "修订" in notes[genanki.guid_for("test:mini", "m-two")]["Answer"]
        # "progress is kept"
        assert col.get_card(card.id).reps == 1
        assert col.db.scalar("select count() from revlog where cid = ?", card.id) == 1
        # "removed cards are found by the documented search"
        found = col.find_notes("tag:removed")
        assert [col.get_note(n).guid for n in found] == [genanki.guid_for("test:mini", "b-cloze")]
        assert "已在 v1.1.0 中删除" in col.get_note(found[0])["Text"]
        col.remove_notes(found)
        assert col.note_count() == 3
    finally:
        col.close()
    fresh = open_collection(tmp_path / "newcomer")
    try:
        import_package(fresh, v2)
        removed = fresh.find_cards("tag:removed")
        assert len(removed) == 1
        # a newcomer meets the notice last, after every real card, and one search removes it
        dues = {fresh.get_card(c).due for c in fresh.find_cards("-tag:removed")}
        assert fresh.get_card(removed[0]).due > max(dues)
    finally:
        fresh.close()


def test_release_folder(make_project: MakeProject, tmp_path: Path) -> None:
    root, _, _ = two_versions(make_project, tmp_path)
    out = tmp_path / "release"
    result = cli(root, "release", "--tag", "v1.1.0", "--previous", "v1.0.0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "RELEASE_NOTES.md",
        "SHA256SUMS",
        "manifest.json",
        "mini-1.1.0-basics.apkg",
        "mini-1.1.0-more.apkg",
        "mini-1.1.0.apkg",
    ]
    assert (out / "RELEASE_NOTES.md").read_text(encoding="utf-8") == EXPECTED_NOTES
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "1.1.0" and manifest["git_sha"] == git(root, "rev-parse", "HEAD").strip()
    assert manifest["cards_per_subdeck"] == {"basics": 1, "more": 2} and manifest["retired"] == 1
    full = read_apkg(out / "mini-1.1.0.apkg")
    guids = sorted(full.notes)
    assert manifest["guid_sha256"] == hashlib.sha256("\n".join(guids).encode()).hexdigest()
    parts = [read_apkg(out / f"mini-1.1.0-{s}.apkg") for s in ("basics", "more")]
    assert sorted(g for p in parts for g in p.notes) == guids
    for part in parts:  # same GUIDs, deck names and content as the full deck
        for guid, note in part.notes.items():
            assert note == full.notes[guid]
    # importing a subdeck package after the full deck duplicates nothing
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, out / "mini-1.1.0.apkg")
        log = import_package(col, out / "mini-1.1.0-more.apkg")
        assert (len(log.new), len(log.updated), len(log.duplicate)) == (0, 0, 2)
    finally:
        col.close()
    # a rebuild of the same commit gives the same bytes
    again = tmp_path / "again"
    assert cli(root, "release", "--tag", "v1.1.0", "--previous", "v1.0.0", "--out", str(again)).returncode == 0
    for name in names:
        assert (again / name).read_bytes() == (out / name).read_bytes()


def head(root: Path, ref: str = "HEAD") -> str:
    return git(root, "rev-parse", f"{ref}^{{commit}}").strip()


def test_release_guard_rails(make_project: MakeProject, tmp_path: Path) -> None:
    """Each refusal is one line, nothing is written, and the message says what to do."""
    root, v1, _ = two_versions(make_project, tmp_path)
    out = tmp_path / "r"

    def refused(*args: str) -> str:
        result = cli(root, "release", *args, "--out", str(out))
        assert result.returncode == 1, result.stdout
        assert not out.exists()
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr  # no traceback
        return lines[0]

    assert refused("--tag", "v2.0.0") == "error: tag 'v2.0.0' does not match the configured version v1.1.0 (deck.toml)"
    assert refused() == (
        "error: which release do learners have? Give --previous (the last published package or its tag), "
        "or --first-release if no release was ever published"
    )
    assert refused("--previous", "v1.0.0", "--first-release") == (
        "error: --previous and --first-release contradict each other: give one"
    )
    # a dirty tree: refused, or released with the changes recorded
    (root / "notes.txt").write_text("草稿\n", encoding="utf-8")
    assert refused("--previous", "v1.0.0") == (
        "error: uncommitted changes (notes.txt): commit them first, or pass --allow-dirty (recorded in manifest.json)"
    )
    allowed = cli(root, "release", "--previous", "v1.0.0", "--allow-dirty", "--out", str(out))
    assert allowed.returncode == 0, allowed.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["uncommitted_changes"] == ["notes.txt"] and manifest["git_sha"] == head(root)
    shutil.rmtree(out)
    (root / "notes.txt").unlink()
    # a card edited but not built: the ledger is stale
    more = root / "cards/more/more.md"
    more.write_text(more.read_text(encoding="utf-8").replace("答案二（修订）。", "未构建的修改。"), encoding="utf-8")
    assert "cards/ledger.json is out of date" in refused("--previous", "v1.0.0", "--allow-dirty")
    git(root, "checkout", "--", "cards")
    # the tag must be the commit being released
    git(root, "tag", "v1.1.0", "HEAD~1")
    assert refused("--tag", "v1.1.0", "--previous", "v1.0.0") == (
        f"error: tag v1.1.0 points at {head(root, 'v1.1.0')[:12]}, not at the checked-out commit "
        f"{head(root)[:12]}: check out the tag to release it"
    )
    git(root, "tag", "-d", "v1.1.0")
    # the version must go up, by as much as the changes need
    for version, message in (
        ("1.0.0", "error: version 1.0.0 (deck.toml) is not above the previous release v1.0.0: bump version in "
         "deck.toml (to 1.1.0 or later)"),
        ("0.9.0", "error: version 0.9.0 (deck.toml) is not above the previous release v1.0.0: bump version in "
         "deck.toml (to 1.1.0 or later)"),
        ("1.0.1", "error: v1.0.1 is a patch release after v1.0.0, but the changes need a minor one (v1.1.0 or "
         "later): new card 'm-three' (新题 \\(p - y\\) 与 x_1 是什么？); retired card 'b-cloze' (填空)"),
    ):  # fmt: skip
        set_version(root, version)
        assert cli(root, "build", "--out", str(tmp_path / "b")).returncode == 0
        git(root, "commit", "-qam", f"v{version}")
        assert refused("--previous", str(v1)) == message
        assert refused("--previous", "v1.0.0") == message  # the same from the git ref
    # a major bump is always enough
    set_version(root, "2.0.0")
    assert cli(root, "build", "--out", str(tmp_path / "b")).returncode == 0
    git(root, "commit", "-qam", "v2.0.0")
    assert cli(root, "release", "--previous", str(v1), "--out", str(out)).returncode == 0


def test_release_outside_git_is_refused(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert cli(root, "build", "--out", str(tmp_path / "b")).returncode == 0
    result = cli(root, "release", "--first-release", "--out", str(tmp_path / "r"))
    assert result.returncode == 1 and not (tmp_path / "r").exists()
    assert result.stderr == (
        f"error: {root} is not a git repository with a commit: a release records the commit it is built from "
        "(--allow-dirty builds anyway)\n"
    )
    allowed = cli(root, "release", "--first-release", "--allow-dirty", "--out", str(tmp_path / "r"))
    assert allowed.returncode == 0, allowed.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["git_sha"] is None and manifest["uncommitted_changes"] is None


def test_a_note_type_field_change_needs_a_major_version(make_project: MakeProject, tmp_path: Path) -> None:
    _, v1, v2 = two_versions(make_project, tmp_path)
    old, new = read_apkg(v1), read_apkg(v2)
    model_id, (name, fields) = next(iter(new.notetypes.items()))
    changed = replace(new, notetypes={**new.notetypes, model_id: (name, (*fields, "Extra"))})
    with pytest.raises(ReleaseError) as refused:
        check_version("1.0.0", "1.1.0", diff(old, changed))
    assert str(refused.value) == (
        f"v1.1.0 is a minor release after v1.0.0, but the changes need a major one (v2.0.0 or later): "
        f"note type change {name}: fields {', '.join(fields)} → {', '.join((*fields, 'Extra'))}"
    )
    check_version("1.0.0", "2.0.0", diff(old, changed))
    check_version("1.0.0", "1.1.0", diff(old, new))


def test_dry_run_keeps_nothing(make_project: MakeProject, tmp_path: Path) -> None:
    root, _, v2 = two_versions(make_project, tmp_path)
    result = cli(root, "release", "--dry-run", "--previous", "v1.0.0")
    assert result.returncode == 0, result.stderr
    assert "would write" in result.stdout and "## 删除" in result.stdout
    assert not (root / "dist" / "release").exists()
    # right after a release CI's dry run meets the same version, unchanged: fine; a real release is not
    same = cli(root, "release", "--dry-run", "--previous", str(v2))
    assert same.returncode == 0, same.stderr
    again = cli(root, "release", "--previous", str(v2), "--out", str(tmp_path / "r"))
    assert again.returncode == 1 and "is not above the previous release v1.1.0" in again.stderr
    (root / "cards/more/more.md").write_text(
        (root / "cards/more/more.md").read_text(encoding="utf-8").replace("新答案。", "新答案（再改）。"),
        encoding="utf-8",
    )
    assert cli(root, "build", "--out", str(tmp_path / "b")).returncode == 0
    git(root, "commit", "-qam", "a change after v1.1.0, version not bumped")
    changed = cli(root, "release", "--dry-run", "--previous", str(v2))
    assert changed.returncode == 1
    assert changed.stderr == (
        "error: version 1.1.0 (deck.toml) is not above the previous release v1.1.0: bump version in deck.toml "
        "(to 1.1.1 or later)\n"
    )


def test_first_release_notes_say_so(make_project: MakeProject, tmp_path: Path) -> None:
    root = first_version(make_project, tmp_path)
    result = cli(root, "release", "--first-release", "--tag", "v1.0.0", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    notes = (tmp_path / "r" / "RELEASE_NOTES.md").read_text(encoding="utf-8")
    assert notes.startswith("# 测试牌组 v1.0.0\n\n首个发布版本（此前没有发布过任何版本）：共 3 张卡片。\n")
    assert "- 01 基础：2 张\n- 02 更多：1 张\n" in notes and "与 v" not in notes
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["previous"] is None and manifest["git_sha"] == head(root, "v1.0.0")


def test_id_guard_against_a_ref(make_project: MakeProject, tmp_path: Path) -> None:
    root, _, _ = two_versions(make_project, tmp_path)
    assert cli(root, "check", "--against", "v1.0.0").returncode == 0  # b-cloze was retired properly
    (root / "cards/more/more.md").write_text("## 只剩新题\n<!-- id: m-three -->\n答。\n", encoding="utf-8")
    result = cli(root, "check", "--against", "v1.0.0")
    assert result.returncode == 1
    assert (
        "cards/more/more.md:1: error: card id 'm-two' existed at v1.0.0 and is gone without being retired; "
        "restore it, or remove it with 'deckbuilder retire m-two'"
    ) in result.stderr


def test_retired_id_is_never_reused(make_project: MakeProject, tmp_path: Path) -> None:
    root, _, _ = two_versions(make_project, tmp_path)
    (root / "cards/more/reuse.md").write_text("## 复活\n<!-- id: b-cloze -->\n答。\n", encoding="utf-8")
    result = cli(root, "check")
    assert result.returncode == 1
    assert (
        "cards/more/reuse.md:1: error: card id 'b-cloze' was retired in v1.1.0 and must never be reused"
        in result.stderr
    )


def test_corrupt_retired_file_is_an_error(make_project: MakeProject) -> None:
    root = make_project({"cards/retired.json": '{"format": 1, "retired": {"x": {"version": 1}}}'})
    result = cli(root, "check")
    assert result.returncode == 1
    assert (
        "cards/retired.json: error: retired entry 'x' needs version, subdeck, question, reason (strings; version as X.Y.Z)"
        in result.stderr
    )


def test_changelog_keeps_one_section_per_version(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    update_changelog(path, "1.0.0", "# 牌组 v1.0.0\n\n首个版本。\n")
    update_changelog(path, "1.1.0", "# 牌组 v1.1.0\n\n## 新增\n\n- 一题\n")
    update_changelog(path, "1.1.0", "# 牌组 v1.1.0\n\n## 新增\n\n- 两题\n")
    text = path.read_text(encoding="utf-8")
    assert text.count("## 牌组 v1.1.0") == 1 and "两题" in text and "一题" not in text
    assert text.index("## 牌组 v1.1.0") < text.index("## 牌组 v1.0.0")
    assert "### 新增" in text


def test_notes_show_math_and_code_as_github_renders_them() -> None:
    rendered = (
        '为什么 <code>x[i] &lt; 2</code> 与 <span class="arithmatex">\\( a_i^2 \\)</span> 和 '
        '<div class="arithmatex">\\[\\frac{1}{2}\\]</div>，<code>a`b</code>，clip_grad_norm、_x、$5、a*b、&lt;tag&gt;？'
    )
    assert inline_markdown(rendered) == (
        "为什么 `x[i] < 2` 与 $a_i^2$ 和 $$\\frac{1}{2}$$，``a`b``，clip_grad_norm、\\_x、\\$5、a\\*b、&lt;tag>？"
    )


def test_changelog_claims_no_unpublished_release(tmp_path: Path) -> None:
    """No release was ever published: the CHANGELOG says so, and the first entry replaces that line."""
    committed = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.findall(r"(?m)^## .* v\d+\.\d+\.\d+", committed) == []
    assert "No release has been published yet" in committed
    path = tmp_path / "CHANGELOG.md"
    path.write_text(committed, encoding="utf-8")
    update_changelog(
        path, "0.2.0", "# 大模型面试八股 v0.2.0\n\n首个发布版本（此前没有发布过任何版本）：共 3 张卡片。\n"
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n\nGenerated by") and "## 大模型面试八股 v0.2.0\n" in text
    assert "No release has been published yet" not in text and "v0.1.0" not in text


def test_no_removal_notices_before_the_first_release(make_project: MakeProject, tmp_path: Path) -> None:
    """Retired before anything was published: no learner has the card, so no notice ships."""
    from deckbuilder.config import load_config
    from deckbuilder.pipeline import gather

    root = make_project()
    assert cli(root, "retire", "b-cloze", "--reason", "重复").returncode == 0
    project = gather(load_config(root))
    assert project.retired and project.notices == []
