"""A content-addressed render cache that can never change the output.

Key: the card's source and position, the renderer and tool versions. Only renders without any
diagnostic are stored (a "missing image" must be re-checked every time). Every entry carries a
checksum, and the media it names are re-hashed on use: a bad or stale entry is rendered again,
never trusted. The cache lives in `<project>/.cache/deckbuilder/` (ignored by git).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from functools import cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .config import DeckConfig
from .fsutil import atomic_write
from .model import Card, RenderedCard
from .package import PackageInput
from .render import RENDERER_VERSION

CACHE_DIR = Path(".cache") / "deckbuilder"
OUTPUT_LIBRARIES = ("markdown", "pymdown-extensions", "pygments", "nh3", "genanki", "pyyaml")
SCHEMA = "create table if not exists render (key text primary key, value text not null, checksum text not null)"


@cache
def tool_fingerprint() -> str:
    """A hash of the tool's code, assets and the libraries that shape its output.

    Any change to them (an upgraded Pygments restyles code, say) invalidates the cache.
    """
    package = Path(__file__).parent
    versions = [f"{name}={_version(name)}" for name in OUTPUT_LIBRARIES]
    digest = hashlib.sha256("\x1f".join([__version__, RENDERER_VERSION, *versions]).encode())
    for path in sorted([*package.glob("*.py"), *package.glob("assets/*")]):
        digest.update(path.name.encode() + b"\x1f" + path.read_bytes())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def card_key(card: Card) -> str:
    payload = json.dumps(
        [
            tool_fingerprint(),
            card.location.path,
            card.location.line,
            card.answer_line,
            card.back_extra_line,
            card.card_type.value,
            card.question,
            card.answer,
            card.back_extra,
            [(b.language, b.is_check, b.location.line) for b in card.code_blocks],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class RenderCache:
    """Read-through store of clean renders; every failure degrades to a cache miss."""

    def __init__(self, root: Path, writable: bool = True) -> None:
        self.root = root
        self.path = root / CACHE_DIR / "render.sqlite3"
        self.writable = writable
        self.pending: dict[str, str] = {}
        self.used: set[str] = set()
        self.conn: sqlite3.Connection | None = None
        self.hits = 0
        try:
            if writable:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.exists():
                return
            self.conn = sqlite3.connect(self.path, timeout=5)
            self.conn.execute(SCHEMA)
        except (OSError, sqlite3.Error):
            self._reset()

    def _reset(self) -> None:
        """A corrupt cache file is thrown away, never repaired in place."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        if self.writable:
            try:
                self.path.unlink(missing_ok=True)
                self.conn = sqlite3.connect(self.path, timeout=5)
                self.conn.execute(SCHEMA)
            except (OSError, sqlite3.Error):
                self.conn = None

    def get_many(self, cards: list[Card]) -> list[RenderedCard | None]:
        """Cached renders for `cards`, in order; one query per few hundred cards."""
        if self.conn is None:
            return [None] * len(cards)
        keys = [card_key(card) for card in cards]
        rows: dict[str, tuple[str, str]] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"select key, value, checksum from render where key in ({marks})"
                rows.update((k, (v, c)) for k, v, c in self.conn.execute(query, chunk))
        except sqlite3.Error:
            self._reset()
            return [None] * len(cards)
        self.used.update(keys)
        return [self._decode(card, rows.get(key)) for card, key in zip(cards, keys, strict=True)]

    def get(self, card: Card) -> RenderedCard | None:
        return self.get_many([card])[0]

    def _decode(self, card: Card, row: tuple[str, str] | None) -> RenderedCard | None:
        if row is None or _checksum(row[0]) != row[1]:
            return None
        try:
            data = json.loads(row[0])
            media = tuple((str(name), self.root / str(rel)) for name, rel in data["media"])
            rendered = RenderedCard(card, str(data["q"]), str(data["a"]), str(data["b"]), media)
        except (ValueError, KeyError, TypeError):
            return None
        if not all(_media_current(name, path) for name, path in media):
            return None
        self.hits += 1
        return rendered

    def put(self, rendered: RenderedCard) -> None:
        if self.conn is None or not self.writable:
            return
        try:
            media = [(name, path.relative_to(self.root).as_posix()) for name, path in rendered.media]
        except ValueError:  # media outside the root (a symlinked root): render it every time
            return
        value = json.dumps(
            {"q": rendered.question_html, "a": rendered.answer_html, "b": rendered.back_extra_html, "media": media},
            ensure_ascii=False,
        )
        key = card_key(rendered.card)
        self.pending[key] = value
        self.used.add(key)
        if len(self.pending) >= 500:  # bounded memory: write as we go
            self._store_pending()

    def flush(self) -> None:
        """Store new renders and drop entries no card asked for (the cache stays deck-sized)."""
        if self.conn is None or not self.writable:
            return
        self._store_pending()
        if self.conn is None:
            return
        try:
            with self.conn:
                if self.used:
                    self.conn.execute("create temp table if not exists keep (key text primary key)")
                    self.conn.execute("delete from keep")
                    self.conn.executemany("insert or ignore into keep values (?)", [(k,) for k in self.used])
                    self.conn.execute("delete from render where key not in (select key from keep)")
        except sqlite3.Error:
            self._reset()
        self.pending.clear()

    def _store_pending(self) -> None:
        if self.conn is None:
            self.pending.clear()
            return
        try:
            with self.conn:
                self.conn.executemany(
                    "insert or replace into render values (?, ?, ?)",
                    [(k, v, _checksum(v)) for k, v in self.pending.items()],
                )
        except sqlite3.Error:
            self._reset()
        self.pending.clear()

    def close(self) -> None:
        self.flush()
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _media_current(name: str, path: Path) -> bool:
    """Media names carry a prefix of their content hash: check the file still matches it."""
    stem, _, _ = name.rpartition(".")
    digest = stem.rpartition("-")[2]
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[: len(digest)] == digest
    except OSError:
        return False


def package_digest(data: PackageInput) -> str:
    """Everything a package is made from; equal digests give byte-identical packages."""
    media = sorted({(name, str(path)) for r in data.rendered for name, path in r.media})
    config = data.config
    payload = json.dumps(
        [
            tool_fingerprint(),
            [config.title, config.slug, config.version, config.guid_namespace, config.description],
            [[s.id, s.title] for s in config.subdecks],
            [[r.card.id, r.card.subdeck, r.card.location.path] for r in data.rendered],
            [[e.hash, e.mod, e.version] for e in data.card_entries],
            sorted((k, e.hash, e.mod) for k, e in data.notetype_entries.items()),
            media,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def input_digest(config: DeckConfig) -> str:
    """Every file a build reads, plus the tool itself: equal digests mean an equal build."""
    root = config.root
    digest = hashlib.sha256(tool_fingerprint().encode())
    files = [root / "deck.toml", config.syllabus_path, *config.cards_path.rglob("*"), *(root / "assets").rglob("*")]
    for path in sorted(set(files)):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class BuildRecord:
    """The last package written and what it was made from.

    `unchanged` lets a build skip rewriting a package whose inputs (after rendering) are equal;
    `fresh` lets it skip the whole build when no input file changed since a clean build.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / CACHE_DIR / "last-build.json"

    def _load(self) -> dict[str, object]:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _target_intact(self, record: dict[str, object], target: Path) -> bool:
        try:
            return bool(
                record.get("target") == str(target.resolve())
                and hashlib.sha256(target.read_bytes()).hexdigest() == record.get("sha256")
            )
        except OSError:
            return False

    def unchanged(self, digest: str, target: Path) -> bool:
        record = self._load()
        return record.get("digest") == digest and self._target_intact(record, target)

    def fresh(self, inputs: str, target: Path) -> list[str] | None:
        """The last build's warnings if nothing changed since it, else None."""
        record = self._load()
        warnings = record.get("warnings")
        if record.get("inputs") != inputs or not isinstance(warnings, list) or not self._target_intact(record, target):
            return None
        return [str(w) for w in warnings]

    def save(self, digest: str, target: Path, data: bytes) -> None:
        record: dict[str, object] = {
            "digest": digest,
            "target": str(target.resolve()),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        self._write(record)

    def seal(self, inputs: str, warnings: list[str]) -> None:
        """After a clean build: remember its inputs, so that an identical next build is skipped."""
        record = self._load()
        if record:
            self._write({**record, "inputs": inputs, "warnings": warnings})

    def _write(self, record: dict[str, object]) -> None:
        with contextlib.suppress(OSError):  # the record only saves time; the package is written
            atomic_write(self.path, json.dumps(record, ensure_ascii=False).encode())
