"""The last build: what it wrote and what it was made from, so that an unchanged build is skipped."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from .cache import CACHE_DIR
from .cachekeys import tool_fingerprint
from .config import DeckConfig
from .fsutil import atomic_write
from .trust import sign, verify


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
    `fresh` lets it skip the whole build when no input file changed since a clean build. The
    record is signed with the user's key: a planted one cannot pass a stale package off as built.
    """

    def __init__(self, root: Path, secret: bytes) -> None:
        self.path = root / CACHE_DIR / "last-build.json"
        self.secret = secret

    def _load(self) -> dict[str, object]:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(stored, dict) or not isinstance(record := stored.get("record"), dict):
            return {}
        return record if verify(self.secret, stored.get("signature"), _canonical(record)) else {}

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
        stored = {"record": record, "signature": sign(self.secret, _canonical(record))}
        with contextlib.suppress(OSError):  # the record only saves time; the package is written
            atomic_write(self.path, json.dumps(stored, ensure_ascii=False).encode())


def _canonical(record: dict[str, object]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
