"""The footer names the release that first shipped the card's current content (a git tag vX.Y.Z
marks a release); package and preview agree."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import zipfile
from pathlib import Path

from conftest import PNG_1X1, MakeProject
from deckbuilder.config import load_config
from deckbuilder.pipeline import Options, build, gather
from deckbuilder.preview.site import write_preview


def git(root: Path, *args: str, when: int = 0) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}  # fmt: skip
    if when:
        env |= {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def built(root: Path, out: Path, epoch: int) -> dict[str, str]:
    """Each note's Source field by card id, from a build at time `epoch`."""
    package, report = build(load_config(root), out, options=Options(use_cache=False, now=epoch))
    assert package is not None, [str(d) for d in report.diagnostics]
    with zipfile.ZipFile(package) as archive:
        (out / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(out / "c.anki2") as conn:
        fields = [f.split("\x1f") for (f,) in conn.execute("select flds from notes")]
    return {source.split("<code>")[1].split("</code>")[0]: source for *_, source in fields}


def set_version(root: Path, version: str) -> None:
    path = root / "deck.toml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("version = "))
    path.write_text(text.replace(old, f'version = "{version}"'), encoding="utf-8")


def test_footers_follow_releases_not_builds(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"assets/dot.png": PNG_1X1})
    first = built(root, tmp_path / "a", 1_700_000_000)
    assert all(" · v1.0.0" in s for s in first.values())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.0.0", when=1_700_000_100)
    git(root, "tag", "v1.0.0")

    more = root / "cards/more/more.md"
    more.write_text(more.read_text(encoding="utf-8").replace("答案二。", "答案二（改）。"), encoding="utf-8")
    before_bump = built(root, tmp_path / "b", 1_700_000_200)  # changed before the version was bumped
    assert before_bump["b-one"] == first["b-one"]
    set_version(root, "1.1.0")
    after_bump = built(root, tmp_path / "c", 1_700_000_300)
    assert after_bump["m-two"].endswith(" · v1.1.0")  # the release that will ship the change
    assert after_bump["b-one"] == first["b-one"]  # untouched: a version bump alone changes no note
    assert after_bump["b-cloze"].endswith(" · v1.0.0")

    config = load_config(root)
    site = write_preview(config, gather(config).report.rendered, tmp_path / "site", None)
    page = site.read_text(encoding="utf-8")
    assert "<code>m-two</code> · v1.1.0" in page and "<code>b-one</code> · v1.0.0" in page


def test_without_any_release_every_card_names_the_version_being_prepared(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project()
    set_version(root, "0.3.0")
    assert all(s.endswith(" · v0.3.0") for s in built(root, tmp_path / "a", 1_700_000_000).values())
