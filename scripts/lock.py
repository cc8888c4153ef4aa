#!/usr/bin/env python3
"""Write render.lock: the exact versions, with every file hash PyPI has for them, of the libraries
that shape the deck's bytes (Markdown, pymdown-extensions, Pygments, genanki, nh3, PyYAML and
their dependencies). scripts/setup.sh installs them with --require-hashes, so CI, the release
workflow and every contributor render with the same stack.

    .venv/bin/python scripts/lock.py            # pin what .venv has now
    .venv/bin/python scripts/lock.py --check    # exit 1 if render.lock differs from .venv
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "render.lock"
PACKAGES = ("Markdown", "pymdown-extensions", "Pygments", "genanki", "nh3", "PyYAML", "click",
            "chevron", "frozendict", "cached-property")  # fmt: skip


def pinned() -> dict[str, str]:
    return {name: metadata.version(name) for name in PACKAGES}


def hashes(name: str, version: str) -> list[str]:
    """Every file (wheels for each platform, the sdist) PyPI has for this version."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:
        files = json.load(response)["releases"][version]
    if not files:
        raise SystemExit(f"PyPI lists no files for {name} {version}")
    return sorted(f["digests"]["sha256"] for f in files)


def render(versions: dict[str, str]) -> str:
    lines = ["# The render stack, pinned with hashes: regenerate with `python scripts/lock.py`."]
    for name, version in sorted(versions.items(), key=lambda item: item[0].lower()):
        digests = " \\\n    ".join(f"--hash=sha256:{h}" for h in hashes(name, version))
        lines.append(f"{name}=={version} \\\n    {digests}")
    return "\n".join(lines) + "\n"


def locked_versions() -> dict[str, str]:
    found = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            name, _, rest = line.partition("==")
            found[name] = rest.split()[0]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare render.lock with the installed versions")
    if parser.parse_args().check:
        wrong = {n: v for n, v in pinned().items() if locked_versions().get(n) != v}
        for name, version in sorted(wrong.items()):
            print(f"render.lock: {name} is {locked_versions().get(name)}, installed {version}")
        return 1 if wrong else 0
    LOCK.write_text(render(pinned()), encoding="utf-8")
    print(f"wrote {LOCK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
