"""Gather and check everything first; write only when nothing is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .cache import BuildRecord, RenderCache, input_digest, package_digest
from .config import DeckConfig
from .fsutil import atomic_write
from .ledger import LEDGER_NAME, Entry, Ledger, build_time, load_ledger
from .model import Card, Diagnostic, Location, RenderedCard, Report, error
from .notetypes import NOTE_TYPES, schema_hash
from .package import NoteContent, PackageInput, note_content, package_bytes
from .parallel import render_all
from .parse import parse_file
from .render import RenderContext
from .retired import Retired, check_reuse, load_retired, notice, retired_path
from .syllabus import Question, load_syllabus
from .validate import validate


@dataclass
class Project:
    """A checked deck: the report plus what packaging needs."""

    config: DeckConfig
    report: Report
    questions: dict[str, Question] = field(default_factory=dict)
    retired: dict[str, Retired] = field(default_factory=dict)
    notices: list[RenderedCard] = field(default_factory=list)

    @property
    def packaged(self) -> list[RenderedCard]:
        """Everything that goes into the package: the cards, then the removal notices."""
        return self.report.rendered + self.notices


def discover(config: DeckConfig) -> tuple[list[tuple[Path, str, str]], list[Diagnostic]]:
    """Card files as (path, path relative to the root, subdeck), in deck order."""
    problems: list[Diagnostic] = []
    cards_dir = config.cards_path
    if not cards_dir.is_dir():
        return [], [error(Location(config.cards_dir), "cards folder not found")]
    order = {s.id: i for i, s in enumerate(config.subdecks)}
    found: list[tuple[int, str, Path, str]] = []
    for path in sorted(cards_dir.rglob("*.md")):
        rel = path.relative_to(config.root).as_posix()
        parts = path.relative_to(cards_dir).parts
        if len(parts) != 2:
            problems.append(error(Location(rel), "card files belong in cards/<subdeck>/<topic>.md"))
            continue
        if parts[0] not in order:
            problems.append(error(Location(rel), f"folder '{parts[0]}' is not a subdeck listed in deck.toml"))
            continue
        found.append((order[parts[0]], rel, path, parts[0]))
    found.sort()
    return [(path, rel, sub) for _, rel, path, sub in found], problems


def gather_cached(config: DeckConfig, use_cache: bool, writable: bool) -> Project:
    """`gather` with the project's render cache (read-only unless `writable`)."""
    if not use_cache:
        return gather(config)
    cache = RenderCache(config.root, writable=writable)
    try:
        return gather(config, cache)
    finally:
        cache.close()


def gather(config: DeckConfig, cache: RenderCache | None = None) -> Project:
    """Parse, validate and render every card; nothing is written (but the render cache)."""
    report = Report()
    files, problems = discover(config)
    report.diagnostics += problems
    for path, rel, subdeck in files:
        source, problems = parse_file(path, rel, subdeck)
        report.cards += source.cards
        report.diagnostics += problems
    questions, problems = load_syllabus(config.syllabus_path, config.syllabus)
    report.diagnostics += problems
    report.diagnostics += validate(report.cards, questions)
    retired_file, retired_rel = retired_path(config)
    retired, problems = load_retired(retired_file, retired_rel)
    report.diagnostics += problems + check_reuse(report.cards, retired)
    notices = [notice(config, entry, retired_rel) for entry in retired.values()]
    for rendered, problems in render_all(report.cards, RenderContext(config.root), cache):
        report.rendered.append(rendered)
        report.diagnostics += problems
    report.diagnostics.sort(key=lambda d: (d.location.path, d.location.line))
    return Project(config, report, questions, retired, notices)


@dataclass(frozen=True)
class Stamped:
    """Package input plus the ledger that goes with it."""

    package: PackageInput
    ledger: Ledger


def stamp(project: Project, ledger: Ledger, now: int) -> Stamped:
    config = project.config
    packaged = project.packaged
    contents: list[NoteContent] = [note_content(config, r) for r in packaged]
    entries: list[Entry] = []
    cards: dict[str, Entry] = dict(ledger.cards)
    for rendered, content in zip(packaged, contents, strict=True):
        entry = ledger.stamp(rendered.card.id, content.digest(), now, config.version)
        cards[rendered.card.id] = entry
        entries.append(entry)
    notetypes = {nt.key: ledger.stamp(nt.key, schema_hash(nt), now, config.version, notetype=True) for nt in NOTE_TYPES}
    package = PackageInput(config, packaged, contents, entries, notetypes)
    return Stamped(package, Ledger(cards, notetypes))


def ledger_path(config: DeckConfig) -> tuple[Path, str]:
    return config.cards_path / LEDGER_NAME, f"{config.cards_dir}/{LEDGER_NAME}"


def build(
    config: DeckConfig, out_dir: Path, strict: bool = False, update_ledger: bool = True, use_cache: bool = True
) -> tuple[Path | None, Report]:
    """Check everything; if clean, write the package, then the ledger. Nothing on error."""
    target = out_dir / config.package_name
    record = BuildRecord(config.root) if use_cache else None
    inputs = input_digest(config) if record is not None and update_ledger and not strict else ""
    if inputs and record is not None and (warnings := record.fresh(inputs, target)) is not None:
        return target, Report(up_to_date=True, shown=warnings)
    project = gather_cached(config, use_cache, writable=True)
    report = project.report
    path, rel = ledger_path(config)
    ledger, problems = load_ledger(path, rel)
    report.diagnostics += problems
    if report.errors(strict):
        return None, report
    stamped = stamp(project, ledger, build_time())
    digest = package_digest(stamped.package)
    if record is None or not record.unchanged(digest, target):
        data = package_bytes(stamped.package)
        atomic_write(target, data)
        if record is not None:
            record.save(digest, target, data)
    new_ledger = stamped.ledger.to_json()
    if update_ledger and (not path.exists() or path.read_text(encoding="utf-8") != new_ledger):
        atomic_write(path, new_ledger.encode("utf-8"))
    if inputs and record is not None:
        record.seal(input_digest(config), [str(d) for d in report.diagnostics])
    return target, report


def cards_with_checks(report: Report) -> list[Card]:
    return [c for c in report.cards if c.checks]
