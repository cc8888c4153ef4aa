"""The command line, run as a user runs it: exit codes, messages, files written or not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import BASICS_MD, MORE_MD, MakeProject, Ran, run_cli
from deckbuilder.apkg.ledger import LEDGER_NAME


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    return run_cli(root, *args, env=env)


def run_process(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `python -m deckbuilder` process: the smoke tests of the installed entry point."""
    return subprocess.run(
        [sys.executable, "-m", "deckbuilder", *args, "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_clean_project(make_project: MakeProject) -> None:
    result = run(make_project(), "check")
    assert result.returncode == 0, result.stderr
    assert "3 cards, 0 problem(s)" in result.stderr


def test_check_reports_path_line_errors(make_project: MakeProject) -> None:
    broken = BASICS_MD.replace("```python\ndef", "```pyhton\ndef").replace("$a_1 * b_2 < c_3$", "$\\frac{a}{b$")
    root = make_project({"cards/basics/basics.md": broken, "cards/more/dup.md": "## D\n<!-- id: b-one -->\nx\n"})
    result = run(root, "check")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "cards/basics/basics.md:11: error: 1 unclosed '{' in math: '\\frac{a}{b'" in lines
    assert "cards/basics/basics.md:14: error: unknown code language 'pyhton'; did you mean 'python'?" in lines
    assert "cards/more/dup.md:1: error: duplicate card id 'b-one' (first used at cards/basics/basics.md:7)" in lines
    assert "Traceback" not in result.stderr


def test_check_formats(make_project: MakeProject) -> None:
    root = make_project({"cards/more/bad.md": "## Q\n<!-- id: x1 -->\n```\ncode\n```\n"})
    github = run(root, "check", "--format", "github")
    assert github.returncode == 0
    assert (
        github.stdout.strip()
        == "::warning file=cards/more/bad.md,line=3::code block has no language (write ```text for plain text)"
    )
    strict = run(root, "check", "--strict", "--format", "json")
    assert strict.returncode == 1
    data = json.loads(strict.stdout)
    assert data["diagnostics"] == [
        {
            "path": "cards/more/bad.md",
            "line": 3,
            "severity": "error",
            "message": "code block has no language (write ```text for plain text)",
        }
    ]


def test_usage_error_exits_2(make_project: MakeProject) -> None:
    result = run(make_project(), "check", "--format", "yaml")
    assert result.returncode == 2


def test_build_writes_package_and_ledger(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    out = tmp_path / "out"
    result = run(root, "build", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.iterdir()] == ["mini-1.0.0.apkg"]
    ledger = json.loads((root / "cards" / LEDGER_NAME).read_text(encoding="utf-8"))
    assert set(ledger["cards"]) == {"b-one", "b-cloze", "m-two"}


def test_failed_build_writes_nothing(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"cards/more/more.md": "## Q\n<!-- id: m-two -->\n$$\nx\n"})
    out = tmp_path / "out"
    result = run(root, "build", "--out", str(out))
    assert result.returncode == 1
    assert "cards/more/more.md:3: error: display math opened with '$$' here is never closed" in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists()
    assert not (root / "cards" / LEDGER_NAME).exists()


def test_two_builds_identical_bytes(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert run(root, "build", "--out", str(tmp_path / "a"), env=env).returncode == 0
    assert run(root, "build", "--out", str(tmp_path / "b"), env=env).returncode == 0
    first = (tmp_path / "a" / "mini-1.0.0.apkg").read_bytes()
    assert first == (tmp_path / "b" / "mini-1.0.0.apkg").read_bytes()
    # a fresh checkout (same ledger, same sources) at another time gives the same bytes
    assert run(root, "build", "--out", str(tmp_path / "c"), env={"SOURCE_DATE_EPOCH": "1800000000"}).returncode == 0
    assert first == (tmp_path / "c" / "mini-1.0.0.apkg").read_bytes()


def test_ledger_keeps_unchanged_mods_and_advances_changed(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert run(root, "build", "--out", str(tmp_path), env={"SOURCE_DATE_EPOCH": "1700000000"}).returncode == 0
    path = root / "cards" / LEDGER_NAME
    before = json.loads(path.read_text(encoding="utf-8"))["cards"]
    (root / "cards/more/more.md").write_text(
        "## 第二题是什么？\n<!-- id: m-two; syllabus: Q002 -->\n\n改了。\n", encoding="utf-8"
    )
    assert run(root, "build", "--out", str(tmp_path), env={"SOURCE_DATE_EPOCH": "1700000900"}).returncode == 0
    after = json.loads(path.read_text(encoding="utf-8"))["cards"]
    assert after["b-one"] == before["b-one"]
    assert after["m-two"]["mod"] == 1700000900 and after["m-two"]["hash"] != before["m-two"]["hash"]


def test_corrupt_ledger_is_an_error(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"cards/ledger.json": "{not json"})
    result = run(root, "build", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "cards/ledger.json:1: error: ledger is not valid JSON" in result.stderr
    assert (root / "cards/ledger.json").read_text() == "{not json"


def test_missing_image_and_escape(make_project: MakeProject) -> None:
    text = "## Q\n<!-- id: img -->\n![a](../../assets/none.png)\n\n![b](../../../etc/passwd)\n"
    result = run(make_project({"cards/more/img.md": text}), "check")
    assert result.returncode == 1
    assert "cards/more/img.md:3: error: image '../../assets/none.png' not found" in result.stderr
    assert (
        "cards/more/img.md:5: error: image '../../../etc/passwd' is outside the project's assets/ folder"
        in result.stderr
    )


def test_not_utf8_and_unknown_folder(make_project: MakeProject) -> None:
    root = make_project(
        {"cards/more/latin.md": "## Q\n<!-- id: l -->\ncaf\xe9\n".encode("latin-1"), "cards/nope/x.md": "## Q\n"}
    )
    result = run(root, "check")
    assert result.returncode == 1
    assert "cards/more/latin.md:3: error: file is not valid UTF-8" in result.stderr
    assert "cards/nope/x.md: error: folder 'nope' is not a subdeck listed in deck.toml" in result.stderr


def test_invalid_config(make_project: MakeProject) -> None:
    root = make_project({"deck.toml": 'title = "x"\nslug = "Bad Slug"\n'})
    result = run(root, "check")
    assert result.returncode == 1
    assert "deck.toml:2: error: 'slug' = 'Bad Slug' has an invalid form" in result.stderr
    assert "Traceback" not in result.stderr


def test_ids_assigns_only_metadata(make_project: MakeProject) -> None:
    root = make_project({"cards/more/new.md": "## 新问题\n\n答案\n\n## 另一个\n<!-- syllabus: Q002 -->\n答\n"})
    result = run(root, "ids")
    assert result.returncode == 0, result.stderr
    text = (root / "cards/more/new.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "## 新问题" and lines[1].startswith("<!-- id: more-") and lines[3] == "答案"
    assert (
        lines[5] == "## 另一个" and lines[6].startswith("<!-- id: more-") and lines[6].endswith("; syllabus: Q002 -->")
    )
    assert run(root, "check").returncode == 0


def test_coverage(make_project: MakeProject) -> None:
    root = make_project({"cards/more/more.md": "## x\n<!-- id: m-two -->\ny\n"})
    result = run(root, "coverage")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["Q002 [more] 0 card(s): 第二题", "covered 1/2 syllabus questions"]


def test_preview_without_mathjax_says_how_to_get_it(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    out = tmp_path / "site"
    result = run(root, "preview", "--out", str(out), env={"DECKBUILDER_MATHJAX": ""})
    assert result.returncode == 0, result.stderr
    assert "warning: MathJax was not found" in result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="no-mathjax"' in page and "npm install" in page
    assert "tex-chtml-full.js" not in page
    assert len(list(out.glob("dot-*.png"))) == 1  # media copied beside the page


def test_preview_refuses_broken_cards(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"cards/more/more.md": "## Q\n<!-- id: m-two -->\n```python\nx\n"})
    result = run(root, "preview", "--out", str(tmp_path / "site"))
    assert result.returncode == 1
    assert not (tmp_path / "site").exists()


def test_preview_watch_rebuilds_on_save(make_project: MakeProject, tmp_path: Path) -> None:
    import os
    import time

    root = make_project()
    out = tmp_path / "site"
    proc = subprocess.Popen(
        [sys.executable, "-m", "deckbuilder", "preview", "--watch", "--out", str(out), "--project", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DECKBUILDER_MATHJAX": ""},
    )
    try:
        index = out / "index.html"
        deadline = time.monotonic() + 60
        while not index.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "答案二。" in index.read_text(encoding="utf-8")
        (root / "cards/more/more.md").write_text(MORE_MD.replace("答案二。", "保存后的新答案。"), encoding="utf-8")
        while "保存后的新答案" not in index.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "保存后的新答案" in index.read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_preview_with_a_wrong_mathjax_path_is_a_usage_error(make_project: MakeProject, tmp_path: Path) -> None:
    result = run(make_project(), "preview", "--mathjax", str(tmp_path / "nowhere"), "--out", str(tmp_path / "site"))
    assert result.returncode == 2
    assert "no MathJax 3 es5 build (tex-chtml-full.js)" in result.stderr
    assert not (tmp_path / "site").exists()


def test_smoke_the_installed_entry_point_as_a_process(make_project: MakeProject, tmp_path: Path) -> None:
    """A few real processes: exit codes and streams as a shell sees them (the rest run in-process)."""
    root = make_project()
    clean = run_process(root, "check")
    assert (clean.returncode, clean.stdout) == (0, "") and clean.stderr.strip().endswith("0 problem(s)")
    (root / "cards/more/bad.md").write_text("## 问\n<!-- id: x -->\n\n$\\frac{a$\n", encoding="utf-8")
    broken = run_process(root, "check")
    assert broken.returncode == 1 and "cards/more/bad.md:4: error: 1 unclosed '{' in math" in broken.stderr
    assert "Traceback" not in broken.stderr
    usage = run_process(root, "build", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    built = run_process(root.parent / "nowhere", "build")
    assert built.returncode != 0 and "Traceback" not in built.stderr
