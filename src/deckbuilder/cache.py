"""Content-addressed caches of parsed files and rendered cards that can never change the output.

Parsed files are keyed by their bytes, path and the tool's version; rendered cards by their
source and position and the tool's version. Only renders without any diagnostic are stored (a
"missing image" must be re-checked every time). Every entry carries a checksum, and the media a
render names are re-hashed on use: a bad or stale entry is made again, never trusted. The cache
lives in `<project>/.cache/deckbuilder/` (ignored by git) and is pruned to the deck on each build.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from . import __version__
from .model import Card, Diagnostic, RenderedCard
from .render.renderer import RENDERER_VERSION
from .render.sanitize import unsafe_html
from .serial import Malformed, card_from, card_json, diagnostic_from, diagnostic_json

CACHE_DIR = Path(".cache") / "deckbuilder"
CACHE_NAME = "cache-json.sqlite3"
LEGACY_NAMES = ("render.sqlite3", "cache.sqlite3")  # older formats (pickles): removed, never read
OUTPUT_LIBRARIES = ("markdown", "pymdownx", "pygments", "nh3", "genanki", "yaml")  # modules, all imported anyway
TABLES = ("render", "parsed")
SCHEMA = [
    f"create table if not exists {t} (key text primary key, value blob not null, checksum text not null)"
    for t in TABLES
]
BATCH = 500
PENDING_BYTES = 4 << 20  # new entries held before they are written

# A parsed file: its cards, the problems found, and each card's render key.
Parsed = tuple[tuple[Card, ...], list[Diagnostic], tuple[str, ...]]


@cache
def tool_fingerprint() -> str:
    """A hash of the tool's code, assets and the libraries that shape its output.

    Any change to them (an upgraded Pygments restyles code, say) invalidates the cache.
    """
    package = Path(__file__).parent
    versions = [f"{name}={_version(name)}" for name in OUTPUT_LIBRARIES]
    digest = hashlib.sha256("\x1f".join([__version__, RENDERER_VERSION, *versions]).encode())
    for path in sorted([*package.rglob("*.py"), *package.glob("assets/*"), *package.glob("data/*")]):
        digest.update(path.relative_to(package).as_posix().encode() + b"\x1f" + path.read_bytes())
    return digest.hexdigest()


def _version(module: str) -> str:
    # The modules' own __version__: cheaper than importlib.metadata, which scans site-packages.
    return str(getattr(importlib.import_module(module), "__version__", "?"))


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
            card.fold,
            card.fold_line,
            card.fold_label,
            [(b.language, b.is_check, b.location.line) for b in card.code_blocks],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def source_key(relpath: str, subdeck: str, data: bytes) -> str:
    digest = hashlib.sha256("\x1f".join([tool_fingerprint(), relpath, subdeck]).encode() + b"\x1f")
    digest.update(data)
    return digest.hexdigest()


def _checksum(key: str, value: bytes) -> str:
    """Covers the key too: an entry moved to another key is as bad as a damaged one."""
    return hashlib.sha256(key.encode() + b"\x1f" + value).hexdigest()


class BuildCache:
    """Read-through store of parsed files and clean renders; every failure degrades to a miss."""

    def __init__(self, root: Path, writable: bool = True) -> None:
        self.root = root
        self.path = root / CACHE_DIR / CACHE_NAME
        self.writable = writable
        self.pending: dict[str, list[tuple[str, bytes]]] = {t: [] for t in TABLES}
        self.pending_bytes = 0
        self.used: dict[str, set[str]] = {t: set() for t in TABLES}
        self.conn: sqlite3.Connection | None = None
        self.hits = 0
        try:
            if writable:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                for name in LEGACY_NAMES:
                    (self.path.parent / name).unlink(missing_ok=True)
            elif not self.path.exists():
                return
            self.conn = self._open()
        except (OSError, sqlite3.Error):
            self._reset()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5)
        # No fsync: after a power loss a damaged file is thrown away like any corrupt cache.
        conn.execute("pragma synchronous = off")
        for statement in SCHEMA:
            conn.execute(statement)
        return conn

    def _reset(self) -> None:
        """A corrupt cache file is thrown away, never repaired in place."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        if self.writable:
            try:
                self.path.unlink(missing_ok=True)
                self.conn = self._open()
            except (OSError, sqlite3.Error):
                self.conn = None

    def _rows(self, table: str, keys: list[str], values: bool = True) -> dict[str, tuple[bytes, str]]:
        """The stored (value, checksum) of `keys` (empty values when `values` is false)."""
        if self.conn is None:
            return {}
        columns = "key, value, checksum" if values else "key, x'', ''"
        rows: dict[str, tuple[bytes, str]] = {}
        try:
            for start in range(0, len(keys), BATCH):
                chunk = keys[start : start + BATCH]
                query = f"select {columns} from {table} where key in ({','.join('?' * len(chunk))})"
                rows.update((k, (v, c)) for k, v, c in self.conn.execute(query, chunk) if isinstance(v, bytes))
        except sqlite3.Error:
            self._reset()
            return {}
        self.used[table].update(keys)
        return rows

    def _put(self, table: str, key: str, value: bytes) -> None:
        if self.conn is None or not self.writable:
            return
        self.pending[table].append((key, value))
        self.pending_bytes += len(value)
        self.used[table].add(key)
        if self.pending_bytes >= PENDING_BYTES:  # bounded memory: write as we go
            self._store_pending()

    # Parsed files

    def parsed(self, key: str) -> Parsed | None:
        entry = _load(key, self._rows("parsed", [key]).get(key))
        if not (isinstance(entry, list) and len(entry) == 3 and all(isinstance(part, list) for part in entry)):
            return None
        try:
            cards = tuple(card_from(card) for card in entry[0])
            problems = [diagnostic_from(problem) for problem in entry[1]]
        except Malformed:
            return None
        keys = tuple(k for k in entry[2] if isinstance(k, str))
        return (cards, problems, keys) if len(keys) == len(cards) == len(entry[2]) else None

    def put_parsed(self, key: str, parsed: Parsed) -> None:
        cards, problems, keys = parsed
        entry = [[card_json(c) for c in cards], [diagnostic_json(d) for d in problems], list(keys)]
        self._put("parsed", key, _dump(entry))

    # Rendered cards

    def present(self, keys: list[str]) -> set[str]:
        """Which keys have a stored render (not yet checked: `get_many` may still refuse one)."""
        return set(self._rows("render", keys, values=False))

    def get_many(self, cards: list[Card], keys: list[str]) -> list[RenderedCard | None]:
        """Cached renders for `cards`, in order; one query per few hundred cards."""
        rows = self._rows("render", keys)
        return [self._decode(card, key, rows.get(key)) for card, key in zip(cards, keys, strict=True)]

    def _decode(self, card: Card, key: str, row: tuple[bytes, str] | None) -> RenderedCard | None:
        entry = _load(key, row)
        if not (isinstance(entry, list) and len(entry) == 4 and all(isinstance(f, str) for f in entry[:3])):
            return None
        question, answer, back, stored_media = entry
        if not isinstance(stored_media, list) or not all(
            isinstance(m, list) and len(m) == 2 and all(isinstance(part, str) for part in m) for m in stored_media
        ):
            return None
        media = tuple((name, self.root / rel) for name, rel in stored_media)
        if not all(_media_current(name, path) for name, path in media):
            return None
        names = frozenset(name for name, _ in media)
        # Cached HTML passes the same final check as fresh HTML: a planted entry is a miss.
        if any(f and unsafe_html(f, names) for f in (question, answer, back)):
            return None
        self.hits += 1
        return RenderedCard(card, question, answer, back, media)

    def put(self, rendered: RenderedCard, key: str) -> None:
        try:
            media = tuple((name, path.relative_to(self.root).as_posix()) for name, path in rendered.media)
        except ValueError:  # media outside the root (a symlinked root): render it every time
            return
        entry = [rendered.question_html, rendered.answer_html, rendered.back_extra_html, [list(m) for m in media]]
        self._put("render", key, _dump(entry))

    def flush(self) -> None:
        """Store new entries and drop those nothing asked for (the cache stays deck-sized)."""
        if self.conn is None or not self.writable:
            return
        self._store_pending()
        if self.conn is None:
            return
        try:
            with self.conn:
                self.conn.execute("create temp table if not exists keep (key text primary key)")
                for table in TABLES:
                    self.conn.execute("delete from keep")
                    self.conn.executemany("insert or ignore into keep values (?)", _single(self.used[table]))
                    self.conn.execute(f"delete from {table} where key not in (select key from keep)")
        except sqlite3.Error:
            self._reset()

    def _store_pending(self) -> None:
        if self.conn is None:
            self.pending, self.pending_bytes = {t: [] for t in TABLES}, 0
            return
        try:
            with self.conn:
                for table, rows in self.pending.items():
                    self.conn.executemany(
                        f"insert or replace into {table} values (?, ?, ?)", [(k, v, _checksum(k, v)) for k, v in rows]
                    )
        except sqlite3.Error:
            self._reset()
        self.pending, self.pending_bytes = {t: [] for t in TABLES}, 0

    def close(self) -> None:
        self.flush()
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _dump(entry: object) -> bytes:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _load(key: str, row: tuple[bytes, str] | None) -> object:
    """A stored entry (plain JSON data), or None when it is missing, fails its checksum or does not parse."""
    if row is None or _checksum(key, row[0]) != row[1]:
        return None
    try:
        return json.loads(row[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _single(keys: Iterable[str]) -> list[tuple[str]]:
    return [(k,) for k in keys]


def _media_current(name: str, path: Path) -> bool:
    """Media names carry a prefix of their content hash: check the file still matches it."""
    stem, _, _ = name.rpartition(".")
    digest = stem.rpartition("-")[2]
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[: len(digest)] == digest
    except OSError:
        return False
