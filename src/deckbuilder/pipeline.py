"""Gather and check everything first; write only when nothing is wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cache import BuildCache, BuildRecord, Parsed, card_key, input_digest, source_key
from .config import DeckConfig
from .design import design_findings
from .fsutil import atomic_write
from .ledger import LEDGER_NAME, Ledger, build_time, load_ledger
from .model import Card, Diagnostic, Location, RenderedCard, Report, did_you_mean, error, warning
from .package import PackageWriter
from .parallel import RenderQueue, WorkerPool
from .parse import parse_bytes, read_source
from .render import RenderContext
from .retired import Retired, check_reuse, check_shipped, load_retired, notice, retired_path
from .stamping import Stamper
from .syllabus import Question, load_syllabus
from .validate import validate

Consumer = Callable[[RenderedCard], None]
FileConsumer = Callable[[tuple[Card, ...], tuple[str, ...]], None]


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
    found: list[tuple[int, int, str, Path, str]] = []
    for path in sorted(cards_dir.rglob("*.md")):
        rel = path.relative_to(config.root).as_posix()
        parts = path.relative_to(cards_dir).parts
        if len(parts) != 2:
            problems.append(error(Location(rel), "card files belong in cards/<subdeck>/<topic>.md"))
            continue
        if parts[0] not in order:
            hint = did_you_mean(parts[0], list(order))
            problems.append(error(Location(rel), f"folder '{parts[0]}' is not a subdeck listed in deck.toml{hint}"))
            continue
        study = config.subdecks[order[parts[0]]].order
        rank = study.index(parts[1]) if parts[1] in study else len(study)
        found.append((order[parts[0]], rank, rel, path, parts[0]))
    found.sort()
    for path in sorted(cards_dir.rglob("*.markdown")):
        rel = path.relative_to(config.root).as_posix()
        problems.append(warning(Location(rel), "card files end in '.md'; this '.markdown' file is not read"))
    for subdeck in config.subdecks:
        present = {p.name for p in (cards_dir / subdeck.id).glob("*.md")}
        for name in subdeck.order:
            if name not in present:
                problems.append(
                    error(
                        Location("deck.toml"),
                        f"subdeck '{subdeck.id}': 'order' lists {name!r}, not a file in its folder",
                    )
                )
    return [(path, rel, sub) for _, _, rel, path, sub in found], problems


@contextmanager
def opened_cache(config: DeckConfig, use_cache: bool, writable: bool) -> Iterator[BuildCache | None]:
    """The project's cache (read-only unless `writable`), flushed and closed afterwards."""
    if not use_cache:
        yield None
        return
    cache = BuildCache(config.root, writable=writable)
    try:
        yield cache
    finally:
        cache.close()


def gather_cached(config: DeckConfig, use_cache: bool, writable: bool, consume: Consumer | None = None) -> Project:
    """`gather` with the project's cache (read-only unless `writable`)."""
    with opened_cache(config, use_cache, writable) as cache:
        return gather(config, cache, consume)


@dataclass(frozen=True)
class Source:
    """One card file's bytes, and its parse when the cache already has it."""

    relpath: str
    subdeck: str
    data: bytes
    key: str
    parsed: Parsed | None


def read_sources(config: DeckConfig, cache: BuildCache | None) -> tuple[list[Source], list[Diagnostic]]:
    files, problems = discover(config)
    sources: list[Source] = []
    for path, rel, subdeck in files:
        data, found = read_source(path, rel)
        problems += found
        if data is not None:
            key = source_key(rel, subdeck, data) if cache is not None else ""
            sources.append(Source(rel, subdeck, data, key, cache.parsed(key) if cache is not None else None))
    return sources, problems


def parse_sources(
    sources: list[Source], cache: BuildCache | None, on_file: FileConsumer | None = None
) -> tuple[list[Card], list[str], list[Diagnostic]]:
    """Every card in deck order, and with a cache each card's render key; each file's cards
    and keys also go to `on_file` as soon as they are known."""
    cards: list[Card] = []
    keys: list[str] = []
    problems: list[Diagnostic] = []
    for source in sources:
        entry = source.parsed
        if entry is None:
            parsed, found = parse_bytes(source.data, source.relpath, source.subdeck)
            entry = (parsed, found, tuple(card_key(card) for card in parsed) if cache is not None else ())
            if cache is not None:
                cache.put_parsed(source.key, entry)
        if on_file is not None:
            on_file(entry[0], entry[2])
        cards += entry[0]
        problems += entry[1]
        keys += entry[2]
    return cards, keys, problems


def parse_all(config: DeckConfig, cache: BuildCache | None) -> tuple[list[Card], list[str], list[Diagnostic]]:
    sources, problems = read_sources(config, cache)
    cards, keys, found = parse_sources(sources, cache)
    return cards, keys, problems + found


def gather(config: DeckConfig, cache: BuildCache | None = None, consume: Consumer | None = None) -> Project:
    """Parse, validate and render every card; nothing is written (but the cache).

    Each rendered card goes to `consume` when one is given (a build streams them into the
    package instead of holding every card's HTML), else into `report.rendered`.
    """
    report = Report()
    context = RenderContext(config.root)
    sources, report.diagnostics = read_sources(config, cache)
    with WorkerPool(context) as pool:
        pool.prestart(sum(len(s.data) for s in sources if s.parsed is None))
        queue = RenderQueue(context, cache, pool)
        report.cards, _, problems = parse_sources(sources, cache, queue.add)
        del sources
        report.diagnostics += problems
        questions, problems = load_syllabus(config.syllabus_path, config.syllabus)
        report.diagnostics += problems
        report.diagnostics += validate(report.cards, questions)
        report.diagnostics += design_findings(report.cards, config.design)
        retired_file, retired_rel = retired_path(config)
        retired, problems = load_retired(retired_file, retired_rel)
        report.diagnostics += problems + check_reuse(report.cards, retired)
        ledger_file, ledger_rel = ledger_path(config)
        ledger, problems = load_ledger(ledger_file, ledger_rel)
        report.diagnostics += problems + check_shipped(report.cards, retired, ledger, Location(ledger_rel))
        notices = [notice(config, entry, retired_rel) for entry in retired.values()]
        take = consume if consume is not None else report.rendered.append
        for rendered, problems in queue.results():
            take(rendered)
            report.diagnostics += problems
    report.diagnostics.sort(key=lambda d: (d.location.path, d.location.line))
    return Project(config, report, questions, retired, notices)


def ledger_path(config: DeckConfig) -> tuple[Path, str]:
    return config.cards_path / LEDGER_NAME, f"{config.cards_dir}/{LEDGER_NAME}"


def stamp_all(project: Project, ledger: Ledger, now: int) -> Stamper:
    """The ledger entries of a gathered project (whose rendered cards were kept)."""
    stamper = Stamper(project.config, ledger, now)
    for rendered in project.packaged:
        stamper.stamp(rendered)
    return stamper


def build(
    config: DeckConfig, out_dir: Path, strict: bool = False, update_ledger: bool = True, use_cache: bool = True
) -> tuple[Path | None, Report]:
    """Check everything; if clean, write the ledger, then the package. Nothing on error."""
    target = out_dir / config.package_name
    record = BuildRecord(config.root) if use_cache else None
    inputs = input_digest(config) if record is not None and update_ledger and not strict else ""
    if inputs and record is not None and (warnings := record.fresh(inputs, target)) is not None:
        return target, Report(up_to_date=True, shown=warnings)
    path, rel = ledger_path(config)
    ledger, _ = load_ledger(path, rel)  # its problems are reported by gather
    stamper = Stamper(config, ledger, build_time())
    with PackageWriter(config, stamper.notetypes) as writer:

        def take(rendered: RenderedCard) -> None:
            writer.add(stamper.stamp(rendered))

        project = gather_cached(config, use_cache, writable=True, consume=take)
        report = project.report
        if report.errors(strict):
            return None, report
        for rendered in project.notices:  # after every real card in the new-card order
            take(rendered)
        digest = stamper.package_digest()
        data = writer.finish(stamper.newest) if record is None or not record.unchanged(digest, target) else None
        # The ledger first: if it cannot be written, the previous package stays. (A package that
        # then fails to write is made again, with the same times, by the next build.)
        new_ledger = stamper.ledger.to_json()
        if update_ledger and (not path.exists() or path.read_text(encoding="utf-8") != new_ledger):
            atomic_write(path, new_ledger.encode("utf-8"))
        if data is not None:
            atomic_write(target, data)
            if record is not None:
                record.save(digest, target, data)
    if inputs and record is not None:
        record.seal(input_digest(config), [str(d) for d in report.diagnostics])
    return target, report


def cards_with_checks(report: Report) -> list[Card]:
    return [c for c in report.cards if c.checks]
