"""Which deck versions were released: a git tag vX.Y.Z exists for each (the tag is enough).

A card's footer names the release that first shipped its current content. A card added or changed
after the last release names the version being prepared (`version` in deck.toml), so it says the
right thing as soon as the version is bumped, even if it was built before the bump.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .ledger import Entry

TAG = re.compile(r"^v(\d+\.\d+\.\d+) (\d+)$")


def released(root: Path) -> dict[str, int]:
    """Released versions with the time of their tag; empty outside a git repository."""
    try:
        result = subprocess.run(
            ["git", "for-each-ref", "--format=%(refname:strip=2) %(creatordate:unix)", "refs/tags/v*"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {m.group(1): int(m.group(2)) for line in result.stdout.splitlines() if (m := TAG.match(line.strip()))}


def footer_version(entry: Entry | None, current: str, releases: dict[str, int]) -> str:
    """The release that shipped this content, or the version being prepared."""
    if entry is not None and entry.version in releases and entry.mod <= releases[entry.version]:
        return entry.version
    return current
