"""Content-addressed caches of parsed files and rendered cards that can never change the output.

Keys (`cachekeys`) cover the source and the tool. A render is stored with its card's design
findings, and only when rendering found no problem (a "missing image" must be looked for every
time). Every entry is signed with the user's key (`trust`), and the media a render names are
re-hashed on use: an unsigned, damaged or stale entry is a miss, never trusted. The cache lives in
`<project>/.cache/deckbuilder/` (ignored by git) and is pruned to the deck on each build.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .check.design import CardDesign
from .model import Card, Diagnostic, RenderedCard
from .serial import Malformed, card_from, card_json, diagnostic_from, diagnostic_json
from .trust import sign, verify

CACHE_DIR = Path(".cache") / "deckbuilder"
CACHE_NAME = "cache-json.sqlite3"
LEGACY_NAMES = ("render.sqlite3", "cache.sqlite3")  # older formats (pickles): removed, never read
TABLES = ("render", "parsed")
SCHEMA = [
    f"create table if not exists {t} (key text primary key, value blob not null, checksum text not null)"
    for t in TABLES
]
BATCH = 500
PENDING_BYTES = 4 << 20  # new entries held before they are written

# A parsed file: its cards, the problems found, and each card's render key.
Parsed = tuple[tuple[Card, ...], list[Diagnostic], tuple[str, ...]]
# A cached render: the card's HTML and what its own design checks found.
Hit = tuple[RenderedCard, CardDesign]


class BuildCache:
    """Read-through store of parsed files and clean renders; every failure degrades to a miss."""

    def __init__(self, root: Path, secret: bytes | None, writable: bool = True) -> None:
        self.root = root
        self.secret = secret
        self.path = root / CACHE_DIR / CACHE_NAME
        self.writable = writable
        self.pending: dict[str, list[tuple[str, bytes]]] = {t: [] for t in TABLES}
        self.pending_bytes = 0
        self.used: dict[str, set[str]] = {t: set() for t in TABLES}
        self.conn: sqlite3.Connection | None = None
        self.hits = 0
        try:
            if writable and secret is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                for name in LEGACY_NAMES:
                    (self.path.parent / name).unlink(missing_ok=True)
            if secret is None or not (writable or self.path.exists()):
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
        if self.writable and self.secret is not None:
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
        entry = self._load(key, self._rows("parsed", [key]).get(key))
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

    def has_renders(self) -> bool:
        if self.conn is None:
            return False
        try:
            return self.conn.execute("select 1 from render limit 1").fetchone() is not None
        except sqlite3.Error:
            return False

    def get_many(self, cards: list[Card], keys: list[str]) -> list[Hit | None]:
        """Cached renders and design findings for `cards`, in order; one query per few hundred cards."""
        rows = self._rows("render", keys)
        return [self._decode(card, key, rows.get(key)) for card, key in zip(cards, keys, strict=True)]

    def _decode(self, card: Card, key: str, row: tuple[bytes, str] | None) -> Hit | None:
        entry = self._load(key, row)
        if not (
            isinstance(entry, list) and len(entry) == 6 and all(isinstance(f, str) for f in (*entry[:3], entry[5]))
        ):
            return None
        question, answer, back, stored_media, stored_design, sample = entry
        if not isinstance(stored_media, list) or not all(
            isinstance(m, list) and len(m) == 2 and all(isinstance(part, str) for part in m) for m in stored_media
        ):
            return None
        media = tuple((name, self.root / rel) for name, rel in stored_media)
        if not all(_media_current(name, path) for name, path in media):
            return None
        try:
            findings = tuple(diagnostic_from(d) for d in stored_design) if isinstance(stored_design, list) else None
        except Malformed:
            return None
        if findings is None:
            return None
        self.hits += 1
        return RenderedCard(card, question, answer, back, media), CardDesign(findings, sample)

    def put(self, rendered: RenderedCard, design: CardDesign, key: str) -> None:
        try:
            media = tuple((name, path.relative_to(self.root).as_posix()) for name, path in rendered.media)
        except ValueError:  # media outside the root (a symlinked root): render it every time
            return
        entry = [
            rendered.question_html,
            rendered.answer_html,
            rendered.back_extra_html,
            [list(m) for m in media],
            [diagnostic_json(d) for d in design.findings],
            design.sample,
        ]
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
                        f"insert or replace into {table} values (?, ?, ?)", [(k, v, self._sign(k, v)) for k, v in rows]
                    )
        except sqlite3.Error:
            self._reset()
        self.pending, self.pending_bytes = {t: [] for t in TABLES}, 0

    def _sign(self, key: str, value: bytes) -> str:
        """Covers the key too: an entry moved to another key is as bad as a damaged one."""
        return sign(self.secret or b"", key.encode(), value)

    def _load(self, key: str, row: tuple[bytes, str] | None) -> object:
        """A stored entry (plain JSON data), or None when it is missing, unsigned or does not parse."""
        if row is None or self.secret is None or not verify(self.secret, row[1], key.encode(), row[0]):
            return None
        try:
            return json.loads(row[0].decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None

    def close(self) -> None:
        self.flush()
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _dump(entry: object) -> bytes:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
