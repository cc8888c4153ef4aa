"""Hostile and broken input: unsafe HTML, paths, and writes that are never half done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import MakeProject, Ran, run_cli
from deckbuilder.render.sanitize import sanitize


def check(root: Path) -> Ran:
    return run_cli(root, "check")


HOSTILE = """\
## 恶意卡片
<!-- id: evil -->

<script>alert(1)</script>
<style>body { display: none }</style>
<iframe src="https://example.invalid"></iframe>
<object data="x.swf"></object> <embed src="x.swf">
<img src="../../assets/dot.png" onerror="alert(2)">
<a href="javascript:alert(3)">点我</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">数据</a>
<span style="color: red">红字</span>
"""


def test_every_unsafe_construct_is_an_error_at_its_line(make_project: MakeProject) -> None:
    result = check(make_project({"cards/more/evil.md": HOSTILE}))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("cards/more/evil.md")]
    assert errors == [
        "cards/more/evil.md:4: error: HTML tag <script> is not allowed in a card",
        "cards/more/evil.md:5: error: HTML tag <style> is not allowed in a card",
        "cards/more/evil.md:6: error: HTML tag <iframe> is not allowed in a card",
        "cards/more/evil.md:7: error: HTML tag <object> is not allowed in a card",
        "cards/more/evil.md:7: error: HTML tag <embed> is not allowed in a card",
        "cards/more/evil.md:8: error: event handler attribute 'onerror' is not allowed",
        "cards/more/evil.md:9: error: 'javascript:' URLs are not allowed in href",
        "cards/more/evil.md:10: error: 'data:' URLs are not allowed in href",
        "cards/more/evil.md:11: error: attribute 'style' is not allowed on <span>",
    ]


def test_unsafe_html_in_the_question_is_caught_too(make_project: MakeProject) -> None:
    text = '## 问题 <img src="x" onload="steal()">\n<!-- id: evil-q -->\n答案\n'
    result = check(make_project({"cards/more/evil.md": text}))
    assert "cards/more/evil.md:1: error: event handler attribute 'onload' is not allowed" in result.stderr


def test_sanitizer_is_a_last_guard() -> None:
    dirty = '<p onclick="x()">a<script>b()</script><a href="javascript:c()">d</a><img src="e.png" onerror="f()"></p>'
    assert sanitize(dirty) == '<p>a<a>d</a><img src="e.png"></p>'


def test_safe_markup_passes_unchanged() -> None:
    html = (
        '<div class="highlight"><pre><span></span><code><span class="n">x</span></code></pre></div>\n'
        "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n</table>\n"
        '<p><span class="arithmatex">\\(a &lt; b\\)</span> <a href="https://arxiv.org/abs/1706.03762">paper</a></p>'
    )
    assert sanitize(html) == html
    # column alignment from Markdown tables survives (nh3 only normalises its spacing)
    table = '<table><tbody><tr><td style="text-align: left;">a</td></tr></tbody></table>'
    assert sanitize(table) == '<table><tbody><tr><td style="text-align:left">a</td></tr></tbody></table>'


def test_symlinked_image_escaping_the_project_is_refused(make_project: MakeProject, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG")
    root = make_project({"cards/more/img.md": "## Q\n<!-- id: img -->\n![x](../../assets/link.png)\n"})
    (root / "assets" / "link.png").symlink_to(outside)
    result = check(root)
    assert (
        "cards/more/img.md:3: error: image '../../assets/link.png' is outside the project's assets/ folder"
        in result.stderr
    )


def test_oversized_image_is_refused(make_project: MakeProject) -> None:
    root = make_project(
        {
            "cards/more/img.md": "## Q\n<!-- id: img -->\n![x](../../assets/big.png)\n",
            "assets/big.png": b"\0" * 2_000_001,
        }
    )
    result = check(root)
    assert (
        "cards/more/img.md:3: error: image '../../assets/big.png' is 2000001 bytes; the limit is 2000000"
        in result.stderr
    )


def test_absolute_and_remote_images_are_refused(make_project: MakeProject) -> None:
    text = "## Q\n<!-- id: img -->\n![x](/etc/hosts)\n\n![y](https://example.invalid/a.png)\n"
    result = check(make_project({"cards/more/img.md": text}))
    assert (
        "cards/more/img.md:3: error: image '/etc/hosts' must be a relative path to a file under assets/"
        in result.stderr
    )
    assert (
        "cards/more/img.md:5: error: image 'https://example.invalid/a.png' must be a relative path to a file under assets/"
        in result.stderr
    )


def big_project(make_project: MakeProject, cards: int) -> Path:
    body = "".join(
        f"## 问题 {i} $x_{{{i}}}$\n<!-- id: big-{i} -->\n\n答案 $a_{i} * b < c$\n\n```python\nprint({i})\n```\n\n"
        for i in range(cards)
    )
    return make_project({"cards/more/big.md": body})


def build_cmd(root: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "deckbuilder", "build", "--project", str(root), "--out", str(out)]


@pytest.mark.slow
def test_full_disk_leaves_previous_output_intact(make_project: MakeProject, tmp_path: Path) -> None:
    """A write that fails (file size limit, as a full disk would) keeps the old package whole.

    The ledger (about 30 KB here) is written before the package, so it is the write that fails:
    a build that cannot write its ledger leaves the previous package in place."""
    import resource

    root = big_project(make_project, 200)
    out = tmp_path / "dist"
    assert subprocess.run(build_cmd(root, out), capture_output=True, check=False).returncode == 0
    package = out / "mini-1.0.0.apkg"
    before = package.read_bytes()
    ledger = (root / "cards/ledger.json").read_bytes()
    assert len(ledger) > 20_000
    (root / "cards/more/more.md").write_text("## 改过的\n<!-- id: m-two -->\n新答案\n", encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    result = subprocess.run(build_cmd(root, out), capture_output=True, text=True, preexec_fn=limit, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert package.read_bytes() == before
    assert (root / "cards/ledger.json").read_bytes() == ledger
    assert sorted(p.name for p in out.iterdir()) == ["mini-1.0.0.apkg"]


@pytest.mark.slow
def test_interrupted_builds_never_leave_a_partial_package(make_project: MakeProject, tmp_path: Path) -> None:
    """Ctrl-C at many points of a build: the package is always the old or the new one, whole."""
    root = big_project(make_project, 400)
    out = tmp_path / "dist"
    assert subprocess.run(build_cmd(root, out), capture_output=True, check=False).returncode == 0
    package = out / "mini-1.0.0.apkg"
    # Time a real build (a changed card: the no-op shortcut would make the interrupts too early).
    (root / "cards/more/more.md").write_text("## 计时\n<!-- id: m-two -->\n答案\n", encoding="utf-8")
    started = time.monotonic()
    assert subprocess.run(build_cmd(root, out), capture_output=True, check=False).returncode == 0
    duration = time.monotonic() - started
    seen_interrupt = 0
    for step in range(8):
        (root / "cards/more/more.md").write_text(
            f"## 第 {step} 版\n<!-- id: m-two -->\n答案 {step}\n", encoding="utf-8"
        )
        proc = subprocess.Popen(build_cmd(root, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(duration * (step + 1) / 9)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate()
        if proc.returncode == 130:
            seen_interrupt += 1
            assert "interrupted" in err and "Traceback" not in err
        with zipfile.ZipFile(package) as archive:
            assert archive.testzip() is None
            assert "collection.anki2" in archive.namelist()
        leftovers = [p.name for p in out.iterdir() if p.name != "mini-1.0.0.apkg"]
        assert leftovers == []
    assert seen_interrupt > 0


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX only")
def test_unreadable_card_file_is_a_clear_error(make_project: MakeProject) -> None:
    root = make_project()
    path = root / "cards/more/more.md"
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root reads anything: use a directory with the name instead
            path.chmod(0o644)
            path.unlink()
            path.mkdir()
            (path / "x").write_text("y")
        result = check(root)
        assert result.returncode == 1
        assert "cards/more/more.md: error: cannot read file" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        if path.is_file():
            path.chmod(0o644)


def test_hand_edited_ledger_is_an_error_not_a_reset(make_project: MakeProject, tmp_path: Path) -> None:
    ledger = '{"format": 1, "notetypes": {}, "cards": {"b-one": {"hash": "x", "mod": "yesterday", "version": "1.0.0"}}}'
    root = make_project({"cards/ledger.json": ledger})
    result = subprocess.run(build_cmd(root, tmp_path / "out"), capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert (
        "cards/ledger.json: error: ledger entry cards.b-one needs 'hash' (string), 'mod' (seconds since 1970, "
        "before 2100) and 'version' (X.Y.Z)" in result.stderr
    )
    assert (root / "cards/ledger.json").read_text() == ledger  # untouched
    assert not (tmp_path / "out").exists()
    wrong_format = make_project({"cards/ledger.json": '{"format": 2}'})
    result = subprocess.run(build_cmd(wrong_format, tmp_path / "out"), capture_output=True, text=True, check=False)
    assert 'cards/ledger.json: error: ledger must be an object with "format": 1' in result.stderr


def _workers_of(pid: int) -> list[int]:
    """Spawned render workers among the children of `pid`."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
                    found.append(int(child))
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_a_killed_worker_is_a_clear_error_and_nothing_is_written(make_project: MakeProject, tmp_path: Path) -> None:
    """A worker that dies (the kernel's OOM killer, say) fails the build with a message, not a traceback."""
    root = big_project(make_project, 4000)
    out = tmp_path / "dist"
    env = {**os.environ, "DECKBUILDER_WORKERS": "2"}
    proc = subprocess.Popen(build_cmd(root, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        workers = _workers_of(proc.pid)
        time.sleep(0.05)
    assert workers, "the build never started its workers"
    time.sleep(0.3)  # well inside rendering 4,000 cards
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "render worker process died" in err and "DECKBUILDER_WORKERS=1" in err
    assert "Traceback" not in err, err
    assert not out.exists() or list(out.iterdir()) == []
