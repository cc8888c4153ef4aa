"""What git says about the tree being released: the commit, uncommitted changes, a tag's commit."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeState:
    sha: str | None  # HEAD's commit; None outside a repository (or before the first commit)
    dirty: list[str]  # paths under the project with uncommitted changes (untracked included)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None


def tree_state(root: Path) -> TreeState:
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head is None or head.returncode != 0:
        return TreeState(None, [])
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", ".")
    lines = status.stdout.splitlines() if status is not None else []
    return TreeState(head.stdout.strip(), sorted(line[3:] for line in lines if line.strip()))


def tag_commit(root: Path, tag: str) -> str | None:
    """The commit a tag points at, or None if there is no such tag here."""
    found = _git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}")
    return found.stdout.strip() if found is not None and found.returncode == 0 else None
