"""The stages composed: parse → check → render → stamp → package. Gather and check everything
first; write only when nothing is wrong (the ledger, then the package)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .apkg.ledger import LEDGER_NAME, Ledger, load_ledger
from .apkg.releases import released
from .apkg.retired import Retired, check_reuse, check_shipped, load_retired, notice, retired_path
from .apkg.stamping import Stamper
from .buildrecord import BuildRecord, input_digest
from .cache import BuildCache
from .check.design import duplicate_design
from .check.syllabus import Question, load_syllabus
from .check.validate import validate
from .config import DeckConfig
from .fsutil import atomic_write
from .model import Card, Location, RenderedCard, Report
from .output import diagnostic_lines
from .render.parallel import PARALLEL_MIN, Rendering, Workers
from .render.renderer import RenderContext
from .source.files import parse_all
from .trust import default_key_dir, load_key


@dataclass(frozen=True)
class Options:
    """How to run, decided at the edge (the CLI reads the environment, tests pass values)."""

    use_cache: bool = True
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    now: int | None = None  # "now" for changed content (SOURCE_DATE_EPOCH); None: the clock
    releases: dict[str, int] | None = None  # released versions (git tags); None: the project's own
    key_dir: Path = field(default_factory=default_key_dir)  # where the user's cache key lives


@dataclass
class Project:
    """A checked and rendered deck: the report plus what packaging needs."""

    config: DeckConfig
    report: Report
    questions: dict[str, Question] = field(default_factory=dict)
    retired: dict[str, Retired] = field(default_factory=dict)
    notices: list[RenderedCard] = field(default_factory=list)
    ledger: Ledger = field(default_factory=lambda: Ledger({}, {}))
    releases: dict[str, int] = field(default_factory=dict)

    @property
    def packaged(self) -> list[RenderedCard]:
        """Everything that goes into the package: the cards, then the removal notices."""
        return self.report.rendered + self.notices


@contextmanager
def opened_cache(config: DeckConfig, options: Options, writable: bool) -> Iterator[BuildCache | None]:
    """The project's cache (read-only unless `writable`), flushed and closed afterwards."""
    if not options.use_cache:
        yield None
        return
    cache = BuildCache(config.root, load_key(options.key_dir), writable=writable)
    try:
        yield cache
    finally:
        cache.close()


def ledger_path(config: DeckConfig) -> tuple[Path, str]:
    return config.cards_path / LEDGER_NAME, f"{config.cards_dir}/{LEDGER_NAME}"


def check(config: DeckConfig, cards: list[Card], releases: dict[str, int]) -> Project:
    """The check stage: everything across cards (ids, syllabus, retired ids, ledger) but near
    duplicates, which start from what the per-card work finds."""
    questions, problems = load_syllabus(config.syllabus_path, config.syllabus)
    problems += validate(cards, questions)
    retired_file, retired_rel = retired_path(config)
    retired, found = load_retired(retired_file, retired_rel)
    problems += found + check_reuse(cards, retired)
    ledger_file, ledger_rel = ledger_path(config)
    ledger, found = load_ledger(ledger_file, ledger_rel)
    problems += found + check_shipped(cards, retired, ledger, Location(ledger_rel))
    # A removal notice goes only to learners who can have the card: those of a release before
    # it was retired. Before any release (no tag vX.Y.Z) there is no one to tell.
    shipped = [_version_key(v) for v in releases]
    notices = [
        notice(config, entry, retired_rel)
        for entry in retired.values()
        if any(version < _version_key(entry.version) for version in shipped)
    ]
    return Project(config, Report(cards=cards, diagnostics=problems), questions, retired, notices, ledger, releases)


def gather(config: DeckConfig, options: Options | None = None, writable: bool = False) -> Project:
    """Parse, check and render every card; nothing is written (but the cache, if `writable`)."""
    options = options or Options()
    context = RenderContext(config.root, design=config.design)
    with opened_cache(config, options, writable) as cache, Workers(options.workers) as workers:
        if options.workers > 1 and renders_many(config, cache):
            workers.start(context)  # they get ready while the files are parsed
        parsed = parse_all(config, cache)
        releases = options.releases if options.releases is not None else released(config.root)
        rendering = Rendering(context, parsed.cards, parsed.keys, cache, workers)
        project = check(config, parsed.cards, releases)  # while the workers render
        rendered = rendering.results()
    report = project.report
    report.rendered = [card for card, _, _ in rendered]
    designs = [design for _, _, design in rendered]
    report.diagnostics = sorted(
        parsed.diagnostics
        + report.diagnostics
        + duplicate_design(parsed.cards, designs, config.design)
        + [d for design in designs for d in design.findings]
        + [d for _, found, _ in rendered for d in found],
        key=lambda d: (d.location.path, d.location.line),
    )
    return project


def renders_many(config: DeckConfig, cache: BuildCache | None) -> bool:
    """Before parsing, a guess: will this build render enough cards to need worker processes?
    (Nothing cached, and card files big enough. A wrong guess costs time, never output.)"""
    if cache is not None and cache.has_renders():
        return False
    files = config.cards_path.rglob("*.md") if config.cards_path.is_dir() else ()
    return sum(path.stat().st_size for path in files) >= PARALLEL_MIN * CARD_BYTES


CARD_BYTES = 1200  # Markdown bytes of a card, about (most cards of the deck take more)


def stamp(project: Project, now: int | None) -> Stamper:
    """The stamp stage: every note's ledger entry (kept if unchanged, else newer)."""
    stamper = Stamper(project.config, project.ledger, int(time.time()) if now is None else now, project.releases)
    stamper.stamp_all(project.packaged)
    return stamper


def build(
    config: DeckConfig,
    out_dir: Path,
    strict: bool = False,
    update_ledger: bool = True,
    options: Options | None = None,
) -> tuple[Path | None, Report]:
    """Check everything; if clean, write the ledger, then the package. Nothing on error."""
    options = options or Options()
    target = out_dir / config.package_name
    secret = load_key(options.key_dir) if options.use_cache else None
    record = BuildRecord(config.root, secret) if secret is not None else None
    inputs = input_digest(config) if record is not None and update_ledger and not strict else ""
    if inputs and record is not None and (warnings := record.fresh(inputs, target)) is not None:
        return target, Report(up_to_date=True, shown=warnings)
    project = gather(config, options, writable=True)
    report = project.report
    if report.errors(strict):
        return None, report
    from .apkg.package import package_bytes  # genanki: imported by a build that writes, not by every run

    stamper = stamp(project, options.now)
    digest = stamper.package_digest()
    data = None if record is not None and record.unchanged(digest, target) else package_bytes(config, stamper)
    new_ledger = stamper.ledger.to_json()
    path, _ = ledger_path(config)
    # The ledger first: if it cannot be written, the previous package stays. (A package that then
    # fails to write is made again, with the same times, by the next build.)
    if update_ledger and (not path.exists() or path.read_text(encoding="utf-8") != new_ledger):
        atomic_write(path, new_ledger.encode("utf-8"))
    if data is not None:
        atomic_write(target, data)
        if record is not None:
            record.save(digest, target, data)
    if inputs and record is not None:
        record.seal(input_digest(config), [text for text, _ in diagnostic_lines(report)])  # as shown
    return target, report


def cards_with_checks(report: Report) -> list[Card]:
    return [c for c in report.cards if c.checks]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
