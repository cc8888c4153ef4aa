"""The parse stage: card files found in deck order, read and split into cards (cached by bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..cache import BuildCache, Parsed
from ..cachekeys import card_key, source_key
from ..config import DeckConfig
from ..model import Card, Diagnostic, Location, SourceFile, did_you_mean, error, warning
from .decode import decode
from .parse import split_cards


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


@dataclass(frozen=True)
class ParsedDeck:
    """Every card in deck order, each card's render key (empty without a cache), the problems."""

    cards: list[Card]
    keys: list[str]
    diagnostics: list[Diagnostic]


def parse_all(config: DeckConfig, cache: BuildCache | None) -> ParsedDeck:
    sources, problems = read_sources(config, cache)
    cards: list[Card] = []
    keys: list[str] = []
    for source in sources:
        entry = source.parsed
        if entry is None:
            parsed, found = parse_bytes(source.data, source.relpath, source.subdeck)
            entry = (parsed, found, tuple(card_key(card) for card in parsed) if cache is not None else ())
            if cache is not None:
                cache.put_parsed(source.key, entry)
        cards += entry[0]
        problems += entry[1]
        keys += entry[2] if cache is not None else ("",) * len(entry[0])
    return ParsedDeck(cards, keys, problems)


def read_source(path: Path, relpath: str) -> tuple[bytes | None, list[Diagnostic]]:
    try:
        return path.read_bytes(), []
    except OSError as exc:
        return None, [error(Location(relpath), f"cannot read file: {exc.strerror}")]


def parse_bytes(data: bytes, relpath: str, subdeck: str) -> tuple[tuple[Card, ...], list[Diagnostic]]:
    text, problems = decode(data, relpath)
    if text is None:
        return (), problems
    cards, problems = split_cards(text, relpath, subdeck)
    return tuple(cards), problems


def parse_file(path: Path, relpath: str, subdeck: str) -> tuple[SourceFile, list[Diagnostic]]:
    data, problems = read_source(path, relpath)
    cards, found = parse_bytes(data, relpath, subdeck) if data is not None else ((), [])
    return SourceFile(path, relpath, subdeck, cards), problems + found
