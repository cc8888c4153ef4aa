"""Release artifacts: the full deck, one package per subdeck, checksums, manifest and notes.

Everything is written into a temporary folder beside the target and renamed into place, so a
failed release leaves no partial output. The release never publishes: CI uploads the folder.
"""

from __future__ import annotations

import contextlib
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
from .model import RenderedCard, Report
from .package import PackageWriter, card_guid
from .pipeline import gather, ledger_path
from .snapshot import Snapshot, read_apkg, snapshot_of
from .stamping import Stamper

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
    path, rel = ledger_path(config)
    ledger, problems = load_ledger(path, rel)
    stamper = Stamper(config, ledger, now=0)
    with contextlib.ExitStack() as stack:
        writers = {
            name: stack.enter_context(PackageWriter(config, stamper.notetypes, subdeck))
            for name, subdeck in [(config.package_name, None)]
            + [(f"{config.slug}-{config.version}-{s.id}.apkg", s.id) for s in config.subdecks]
        }
        guids: list[str] = []

        def take(rendered: RenderedCard) -> None:
            note = stamper.stamp(rendered)
            guids.append(card_guid(config, rendered.card.id))
            for writer in writers.values():
                writer.add(note)

        project = gather(config, consume=take)
        report = project.report
        report.diagnostics += problems
        if report.errors():
            raise ReleaseError(f"{len(report.errors())} error(s) in the cards; run 'deckbuilder check'")
        for rendered in project.notices:
            take(rendered)
        if stamper.ledger.cards != ledger.cards or stamper.ledger.notetypes != ledger.notetypes:
            raise ReleaseError(f"{rel} is out of date: run 'deckbuilder build' and commit it before releasing")
        files = {name: w.finish(stamper.newest) for name, w in writers.items() if w.count or w.only_subdeck is None}
    new = read_bytes_snapshot(files[config.package_name])
    old = snapshot_of(previous, config.root) if previous else Snapshot(config.title, "", {}, {})
    notes = release_notes(diff(old, new), config.package_name)
    files[NOTES_NAME] = notes.encode("utf-8")
    counts: dict[str, int] = {}
    for card in report.cards:
        counts[card.subdeck] = counts.get(card.subdeck, 0) + 1
    manifest = {
        "name": config.title,
        "slug": config.slug,
        "version": config.version,
        "git_sha": git_sha(config.root),
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
