"""The release path, one script for the release workflow (on a tag) and CI (a dry run on every push).

    python3 scripts/release.py --check-tag vX.Y.Z       only check the tag against deck.toml (nothing installed)
    .venv/bin/python scripts/release.py --tag vX.Y.Z    build dist/release/ against the last published release
    .venv/bin/python scripts/release.py --dry-run       the same path for deck.toml's version; keep nothing

What learners have is the last *published* release: unless --previous or --first-release says it,
the script asks GitHub (the `gh` CLI, GH_TOKEN and GH_REPO set by the workflow) for the published
releases and downloads the full package of the newest one. A failed lookup stops the release; it is
never taken to mean "no release yet". Then it runs `deckbuilder release`, which does every check.
Publishing is the workflow's last step; this script never writes to GitHub.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"v(\d+)\.(\d+)\.(\d+)")


class Refused(Exception):
    """A one-line reason to stop."""


def deck_settings(project: Path) -> tuple[str, str]:
    """(slug, version) from deck.toml."""
    try:
        data = tomllib.loads((project / "deck.toml").read_text(encoding="utf-8"))
        return str(data["slug"]), str(data["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise Refused(f"{project / 'deck.toml'}: cannot read slug and version ({exc})") from None


def check_tag(tag: str, version: str) -> None:
    if tag != f"v{version}":
        raise Refused(f"tag '{tag}' does not match the configured version v{version} (deck.toml)")


def newest_release(tags: list[str], exclude: str | None = None) -> str | None:
    """The highest vX.Y.Z among published release tags, other than `exclude` (the tag being re-released)."""
    versions = [(tuple(int(g) for g in m.groups()), t) for t in tags if (m := TAG.fullmatch(t)) and t != exclude]
    return max(versions)[1] if versions else None


def gh(*args: str) -> str:
    try:
        done = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise Refused("the GitHub CLI (gh) is not installed: give --previous or --first-release") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise Refused(f"gh {args[0]} {args[1]} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout


def download_previous(slug: str, exclude: str | None, folder: Path) -> Path | None:
    """The full package of the newest published release, or None when none was ever published."""
    listing = gh(
        "release", "list", "--exclude-drafts", "--exclude-pre-releases", "--limit", "1000", "--json", "tagName"
    )
    tag = newest_release([item["tagName"] for item in json.loads(listing or "[]")], exclude)
    if tag is None:
        return None
    name = f"{slug}-{tag[1:]}.apkg"
    gh("release", "download", tag, "--pattern", name, "--dir", str(folder), "--clobber")
    if not (folder / name).is_file():
        raise Refused(f"release {tag} has no asset {name}")
    return folder / name


def commit_time(project: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(project), "log", "-1", "--format=%ct"], capture_output=True, text=True)
    except FileNotFoundError:
        raise Refused("git is not installed: a release is built from a commit") from None
    if done.returncode != 0 or not done.stdout.strip():
        raise Refused(f"{project} has no git commit: a release is built from a commit")
    return done.stdout.strip()


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check-tag", metavar="TAG", help="only check TAG against deck.toml's version")
    mode.add_argument("--tag", help="release TAG (vX.Y.Z, must match deck.toml)")
    mode.add_argument("--dry-run", action="store_true", help="do everything for deck.toml's version, keep nothing")
    parser.add_argument("--previous", help="the last published package (.apkg) or its tag; skips the GitHub lookup")
    parser.add_argument("--first-release", action="store_true", help="no release was ever published")
    parser.add_argument("--out", default="dist/release", help="release folder (default dist/release)")
    parser.add_argument("--project", type=Path, default=ROOT, help="project folder (default: this repository)")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    slug, version = deck_settings(project)
    tag = args.check_tag or args.tag
    if tag is not None:
        check_tag(tag, version)
        if args.check_tag:
            print(f"tag {tag} matches deck.toml's version {version}")
            return 0
    env = dict(os.environ)
    if "SOURCE_DATE_EPOCH" not in env:  # the released commit's time: builds of old refs are reproducible too
        env["SOURCE_DATE_EPOCH"] = commit_time(project)
    with tempfile.TemporaryDirectory() as tmp:
        previous: list[str] = ["--first-release"] if args.first_release else []
        if args.previous:
            previous = ["--previous", args.previous]
        elif not args.first_release:
            found = download_previous(slug, tag, Path(tmp))
            print(f"previous release: {found.name if found else 'none was ever published (first release)'}")
            previous = ["--previous", str(found)] if found else ["--first-release"]
        command = [sys.executable, "-m", "deckbuilder", "release", "--project", str(project), *previous]
        command += ["--dry-run"] if args.dry_run else ["--tag", str(tag), "--out", str(project / args.out)]
        return subprocess.run(command, env=env, check=False).returncode


def main() -> None:
    try:
        sys.exit(run(sys.argv[1:]))
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
