"""Release artifacts: the full deck, one package per subdeck, checksums, manifest and notes.

Everything is written into a temporary folder beside the target and renamed into place, so a
failed release leaves no partial output. The release never publishes: CI uploads the folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .config import DeckConfig
from .diff import diff, release_notes
from .errors import ReleaseError
from .ledger import load_ledger
from .model import Report
from .package import card_guid, package_bytes
from .pipeline import gather, ledger_path, stamp
from .snapshot import Snapshot, read_apkg, snapshot_of

NOTES_NAME = "RELEASE_NOTES.md"


@dataclass(frozen=True)
class ReleaseResult:
    folder: Path
    files: list[str]
    notes: str
    report: Report


def git_sha(root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return None
    return result.stdout.strip() or None


def make_release(
    config: DeckConfig, out_dir: Path, previous: str | None = None, tag: str | None = None
) -> ReleaseResult:
    if tag is not None and tag != f"v{config.version}":
        raise ReleaseError(f"tag '{tag}' does not match the configured version v{config.version} (deck.toml)")
    project = gather(config)
    report = project.report
    path, rel = ledger_path(config)
    ledger, problems = load_ledger(path, rel)
    report.diagnostics += problems
    if report.errors():
        raise ReleaseError(f"{len(report.errors())} error(s) in the cards; run 'deckbuilder check'")
    stamped = stamp(project, ledger, now=0)
    if stamped.ledger.cards != ledger.cards or stamped.ledger.notetypes != ledger.notetypes:
        raise ReleaseError(f"{rel} is out of date: run 'deckbuilder build' and commit it before releasing")
    data = stamped.package
    files: dict[str, bytes] = {config.package_name: package_bytes(data)}
    for subdeck in config.subdecks:
        if any(r.card.subdeck == subdeck.id for r in data.rendered):
            files[f"{config.slug}-{config.version}-{subdeck.id}.apkg"] = package_bytes(data, subdeck.id)
    new = read_bytes_snapshot(files[config.package_name])
    old = snapshot_of(previous, config.root) if previous else Snapshot(config.title, "", {}, {})
    notes = release_notes(diff(old, new), config.package_name)
    files[NOTES_NAME] = notes.encode("utf-8")
    guids = sorted(card_guid(config, r.card.id) for r in data.rendered)
    counts: dict[str, int] = {}
    for rendered in project.report.rendered:
        counts[rendered.card.subdeck] = counts.get(rendered.card.subdeck, 0) + 1
    manifest = {
        "name": config.title,
        "slug": config.slug,
        "version": config.version,
        "git_sha": git_sha(config.root),
        "tool_version": __version__,
        "cards": len(project.report.rendered),
        "cards_per_subdeck": counts,
        "retired": len(project.notices),
        "guid_sha256": hashlib.sha256("\n".join(guids).encode()).hexdigest(),
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
