"""Release artifacts: the full deck, one package per subdeck, checksums, manifest and notes.

Everything is written into a temporary folder beside the target and renamed into place, so a
failed release leaves no partial output. The release never publishes: CI uploads the folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..apkg.package import card_guid, package_bytes
from ..config import DeckConfig
from ..errors import ReleaseError
from ..model import Report
from ..pipeline import gather, ledger_path, stamp
from .diff import diff, release_notes
from .gitstate import TreeState, tag_commit, tree_state
from .snapshot import Snapshot, read_apkg, snapshot_of
from .versioning import TAG, check_version

NOTES_NAME = "RELEASE_NOTES.md"


@dataclass(frozen=True)
class ReleaseResult:
    folder: Path
    files: list[str]
    notes: str
    report: Report


@dataclass(frozen=True)
class ReleaseOptions:
    previous: str | None = None  # what learners have: the last published package (.apkg) or its git ref
    first_release: bool = False  # no release was ever published
    tag: str | None = None
    allow_dirty: bool = False  # build from uncommitted changes (recorded in the manifest)
    dry_run: bool = False


def check_source(config: DeckConfig, options: ReleaseOptions) -> TreeState:
    """The refusals that need no build: tag, previous release, the commit being released."""
    if options.tag is not None and options.tag != f"v{config.version}":
        raise ReleaseError(f"tag '{options.tag}' does not match the configured version v{config.version} (deck.toml)")
    if options.tag is not None and not TAG.fullmatch(options.tag):
        raise ReleaseError(f"tag '{options.tag}' is not of the form vX.Y.Z")
    if options.previous and options.first_release:
        raise ReleaseError("--previous and --first-release contradict each other: give one")
    if not options.previous and not options.first_release:
        raise ReleaseError(
            "which release do learners have? Give --previous (the last published package or its tag), "
            "or --first-release if no release was ever published"
        )
    state = tree_state(config.root)
    if not options.allow_dirty:
        if state.sha is None:
            raise ReleaseError(
                f"{config.root} is not a git repository with a commit: a release records the commit it is "
                "built from (--allow-dirty builds anyway)"
            )
        if state.dirty:
            shown = ", ".join(state.dirty[:5]) + (f" and {len(state.dirty) - 5} more" if len(state.dirty) > 5 else "")
            raise ReleaseError(
                f"uncommitted changes ({shown}): commit them first, or pass --allow-dirty (recorded in manifest.json)"
            )
    if options.tag is not None and state.sha is not None:
        tagged = tag_commit(config.root, options.tag)
        if tagged is not None and tagged != state.sha:
            raise ReleaseError(
                f"tag {options.tag} points at {tagged[:12]}, not at the checked-out commit {state.sha[:12]}: "
                "check out the tag to release it"
            )
    return state


def make_release(config: DeckConfig, out_dir: Path, options: ReleaseOptions) -> ReleaseResult:
    state = check_source(config, options)
    project = gather(config)
    report = project.report
    if report.errors():
        raise ReleaseError(f"{len(report.errors())} error(s) in the cards; run 'deckbuilder check'")
    _, rel = ledger_path(config)
    stamper = stamp(project, now=0)
    if stamper.ledger.cards != project.ledger.cards or stamper.ledger.notetypes != project.ledger.notetypes:
        raise ReleaseError(f"{rel} is out of date: run 'deckbuilder build' and commit it before releasing")
    files = {config.package_name: package_bytes(config, stamper)}
    for subdeck in config.subdecks:
        if any(note.rendered.card.subdeck == subdeck.id for note in stamper.notes):
            name = f"{config.slug}-{config.version}-{subdeck.id}.apkg"
            files[name] = package_bytes(config, stamper, only_subdeck=subdeck.id)
    new = read_bytes_snapshot(files[config.package_name])
    old = snapshot_of(options.previous, config.root) if options.previous else Snapshot(config.title, "", {}, {})
    changes = diff(old, new)
    if options.previous:
        if not old.version:
            raise ReleaseError(f"cannot tell the version of the previous release '{options.previous}'")
        check_version(old.version, config.version, changes, options.dry_run)
    notes = release_notes(changes, config.package_name, first=options.first_release)
    files[NOTES_NAME] = notes.encode("utf-8")
    guids = [card_guid(config, rendered.card.id) for rendered in project.packaged]
    counts: dict[str, int] = {}
    for card in report.cards:
        counts[card.subdeck] = counts.get(card.subdeck, 0) + 1
    manifest = {
        "name": config.title,
        "slug": config.slug,
        "version": config.version,
        "git_sha": state.sha,
        "uncommitted_changes": state.dirty if state.sha is not None else None,
        "previous": old.version or None,
        "tool_version": __version__,
        "cards": len(report.cards),
        "cards_per_subdeck": counts,
        "retired": len(project.notices),
        "guid_sha256": hashlib.sha256("\n".join(sorted(guids)).encode()).hexdigest(),
        "files": {name: hashlib.sha256(blob).hexdigest() for name, blob in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(blob).hexdigest()}  {name}\n" for name, blob in sorted(files.items())
    ).encode()
    write_folder(out_dir, files)
    return ReleaseResult(out_dir, sorted(files), notes, report)


def read_bytes_snapshot(package: bytes) -> Snapshot:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deck.apkg"
        path.write_bytes(package)
        return read_apkg(path)


def write_folder(target: Path, files: dict[str, bytes]) -> None:
    """Fill a fresh folder beside `target`, then swap it in: never half a release."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, blob in files.items():
            (staging / name).write_bytes(blob)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
