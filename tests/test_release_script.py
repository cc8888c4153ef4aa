"""scripts/release.py end to end: two releases in a throwaway git repository, imported into the real Anki."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import genanki
import pytest

from anki_support import import_package, notes_by_guid, open_collection
from conftest import MakeProject
from test_release import EXPECTED_NOTES, cli, first_version, git, head, second_version

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "release.py"


def script(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}  # the script sets it from the commit
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--project", str(root)], capture_output=True, text=True, env=env
    )


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_newest_published_release_is_the_previous_one() -> None:
    newest = load_script().newest_release
    tags = ["v0.9.0", "v0.10.0", "v0.2.0", "latest", "v1.0.0-rc1", "v0.10.0-beta"]
    assert newest(tags) == "v0.10.0"  # by version, not by text: v0.10.0 > v0.9.0
    assert newest(tags, exclude="v0.10.0") == "v0.9.0"  # a re-run of v0.10.0 compares with the one before
    assert newest([]) is None and newest(["nightly"]) is None


def test_release_script_end_to_end(make_project: MakeProject, tmp_path: Path) -> None:
    root = first_version(make_project, tmp_path)
    # the tag check needs nothing but deck.toml (the release job runs it before installing anything)
    wrong = script(root, "--check-tag", "v1.0.1")
    assert (wrong.returncode, wrong.stderr) == (
        1,
        "error: tag 'v1.0.1' does not match the configured version v1.0.0 (deck.toml)\n",
    )
    assert script(root, "--check-tag", "v1.0.0").returncode == 0
    # no GitHub here: without --previous/--first-release the script would ask gh, so say it
    first = script(root, "--tag", "v1.0.0", "--first-release", "--out", str(tmp_path / "r1"))
    assert first.returncode == 0, first.stderr
    notes1 = (tmp_path / "r1" / "RELEASE_NOTES.md").read_text(encoding="utf-8")
    assert "首个发布版本（此前没有发布过任何版本）" in notes1
    second_version(root, tmp_path)
    git(root, "tag", "v1.1.0")
    package1 = tmp_path / "r1" / "mini-1.0.0.apkg"
    # refusals come through the script with their message
    same = script(root, "--tag", "v1.1.0", "--previous", str(tmp_path / "v2" / "mini-1.1.0.apkg"))
    assert same.returncode == 1 and "is not above the previous release v1.1.0" in same.stderr
    assert not (root / "dist" / "release").exists()
    # the release: against the first release's package, as the workflow does with the download
    second = script(root, "--tag", "v1.1.0", "--previous", str(package1), "--out", str(tmp_path / "r2"))
    assert second.returncode == 0, second.stderr
    out = tmp_path / "r2"
    assert (out / "RELEASE_NOTES.md").read_text(encoding="utf-8") == EXPECTED_NOTES
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["git_sha"] == head(root, "v1.1.0") and manifest["previous"] == "1.0.0"
    assert manifest["uncommitted_changes"] == []
    # reproducible: the same commit gives the same bytes, file by file (CI dry run included)
    again = script(root, "--tag", "v1.1.0", "--previous", str(package1), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again").iterdir())
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name
    dry = script(root, "--dry-run", "--previous", str(package1))
    assert dry.returncode == 0 and "## 删除" in dry.stdout, dry.stderr
    # what learners do: import the first release, study, import the second over it
    col = open_collection(tmp_path / "learner")
    try:
        import_package(col, package1)
        col.decks.select(col.decks.id_for_name("测试牌组::02 更多"))
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
        log = import_package(col, out / "mini-1.1.0.apkg")
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (1, 2, 0)
        notes = notes_by_guid(col)
        assert "修订" in notes[genanki.guid_for("test:mini", "m-two")]["Answer"]  # the update arrived
        assert col.get_card(card.id).reps == 1  # the history is kept
        assert col.db.scalar("select count() from revlog where cid = ?", card.id) == 1
        found = col.find_notes("tag:removed")
        assert [col.get_note(n).guid for n in found] == [genanki.guid_for("test:mini", "b-cloze")]
        assert col.note_count() == 4
    finally:
        col.close()


def test_release_script_without_github_says_so(make_project: MakeProject, tmp_path: Path) -> None:
    """A failed lookup of the published releases stops the release; it never means "first release"."""
    root = first_version(make_project, tmp_path)
    tools = tmp_path / "bin"  # git, and no gh
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    env = {**os.environ, "PATH": str(tools)}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--tag", "v1.0.0", "--project", str(root)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert (result.returncode, result.stderr) == (
        1,
        "error: the GitHub CLI (gh) is not installed: give --previous or --first-release\n",
    )
    assert not (root / "dist").exists()
    assert cli(root, "check").returncode == 0
