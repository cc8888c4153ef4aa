"""The stamp stage: each note's ledger entry (its content time) and the footer it shows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..cachekeys import tool_fingerprint
from ..config import DeckConfig
from ..model import RenderedCard
from .ledger import Entry, Ledger
from .notes import PackagedNote, note_content
from .notetypes import NOTE_TYPES, schema_hash
from .releases import footer_version


class Stamper:
    """Hashes each note's content and keeps or renews its ledger entry; `notes` go into the package."""

    def __init__(self, config: DeckConfig, ledger: Ledger, now: int, releases: dict[str, int]) -> None:
        self.config = config
        self.old = ledger
        self.now = now
        self.cards: dict[str, Entry] = dict(ledger.cards)
        self.notetypes = {
            nt.key: ledger.stamp(nt.key, schema_hash(nt), now, config.version, notetype=True) for nt in NOTE_TYPES
        }
        self.newest = max([e.mod for e in self.notetypes.values()] + [1])
        self._places: list[tuple[str, str, str]] = []
        self._entries: list[Entry] = []
        self._media: set[tuple[str, Path]] = set()
        self._footers: list[str] = []
        self.notes: list[PackagedNote] = []
        self.releases = releases

    def stamp(self, rendered: RenderedCard) -> PackagedNote:
        card = rendered.card
        content = note_content(self.config, rendered)
        entry = self.old.stamp(card.id, content.digest(), self.now, self.config.version, kind=card.card_type.value)
        self.cards[card.id] = entry
        self.newest = max(self.newest, entry.mod)
        self._places.append((card.id, card.subdeck, card.location.path))
        self._entries.append(entry)
        self._media.update(rendered.media)
        footer = footer_version(entry, self.config.version, self.releases)
        self._footers.append(footer)
        note = PackagedNote(rendered, content, entry, len(self._places), footer)
        self.notes.append(note)
        return note

    def stamp_all(self, rendered: list[RenderedCard]) -> None:
        for card in rendered:
            self.stamp(card)

    @property
    def ledger(self) -> Ledger:
        return Ledger(dict(self.cards), dict(self.notetypes))

    def package_digest(self) -> str:
        """Everything the package is made from; equal digests give byte-identical packages."""
        config = self.config
        payload = json.dumps(
            [
                tool_fingerprint(),
                [config.title, config.slug, config.version, config.guid_namespace, config.description],
                [[s.id, s.title] for s in config.subdecks],
                self._places,
                [[e.hash, e.mod, e.version] for e in self._entries],
                self._footers,
                sorted((k, e.hash, e.mod) for k, e in self.notetypes.items()),
                sorted((name, str(path)) for name, path in self._media),
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()
