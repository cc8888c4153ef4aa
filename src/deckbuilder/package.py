"""Rendered cards to a deterministic `.apkg`: stable ids, per-note mod times, a zip we write."""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki

from .config import DeckConfig
from .ledger import Entry
from .model import RenderedCard
from .notetypes import BASIC, CLOZE, NoteType, note_css
from .zipwrite import zip_bytes


def stable_id(*parts: str) -> int:
    """A positive 48-bit id from text, for decks (Anki wants ids that fit in an int64)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:6], "big") | (1 << 40)


def card_guid(config: DeckConfig, card_id: str) -> str:
    return str(genanki.guid_for(config.guid_namespace, card_id))


class _Model(genanki.Model):  # type: ignore[misc]
    """A genanki model whose mod time is its own, not the build's."""

    def __init__(self, note_type: NoteType, mod: int) -> None:
        super().__init__(
            note_type.model_id,
            note_type.name,
            fields=note_type.field_dicts(),
            templates=note_type.template_dicts(),
            css=note_css(),
            model_type=genanki.Model.CLOZE if note_type.is_cloze else genanki.Model.FRONT_BACK,
            sort_field_index=0,
        )
        self.mod = mod

    def to_json(self, timestamp: float, deck_id: int) -> dict[str, Any]:
        result: dict[str, Any] = super().to_json(self.mod, deck_id)
        return result


class _Note(genanki.Note):  # type: ignore[misc]
    """A genanki note stamped with the time its content last changed."""

    def __init__(self, mod: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mod = mod

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
        super().write_to_db(cursor, self.mod, deck_id, id_gen)

    def _check_invalid_html_tags_in_fields(self) -> None:
        """Skipped: every field is already cleaned by nh3 (sanitize.py); the scan only cost time."""


@dataclass(frozen=True)
class NoteContent:
    """What goes into one note, before its mod time is known; hashed for the ledger."""

    note_type: NoteType
    deck_name: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]

    def digest(self) -> str:
        payload = json.dumps([self.note_type.key, self.deck_name, self.fields, self.tags], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


def source_field(rendered: RenderedCard, version: str) -> str:
    card = rendered.card
    return (
        f"<span>{html.escape(card.location.path)}</span> · <code>{html.escape(card.id)}</code>"
        f" · v{html.escape(version)}"
    )


def note_content(config: DeckConfig, rendered: RenderedCard) -> NoteContent:
    """Fields without the Source version (which comes from the ledger, after hashing)."""
    card = rendered.card
    tags = tuple(dict.fromkeys((f"subdeck::{card.subdeck}", *(f"syllabus::{q}" for q in card.syllabus), *card.tags)))
    deck_name = config.subdeck_name(card.subdeck)
    if card.retired_in:
        tags = card.tags
    if card.card_type.value == "cloze":
        text = f'<div class="q">{rendered.question_html}</div>\n{rendered.answer_html}'
        return NoteContent(CLOZE, deck_name, (text, rendered.back_extra_html), tags)
    return NoteContent(BASIC, deck_name, (rendered.question_html, rendered.answer_html), tags)


@dataclass(frozen=True)
class PackagedNote:
    """A rendered card with its note content, its ledger entry and its place in the deck."""

    rendered: RenderedCard
    content: NoteContent
    entry: Entry
    position: int  # 1-based place in the new-card order of the whole deck
    footer: str = ""  # the version the footer names (releases.footer_version)


class PackageWriter:
    """Notes go into a temporary collection as they arrive (genanki writes each); `finish` zips it.

    Streaming keeps a build from holding every card's HTML at once. Note and card ids are
    derived from the newest content time, known only after the last note: notes are written
    with provisional ids -1, -2, ... that `finish` moves into place in one pass (new ids are
    positive, so none can clash with a row not yet moved).
    """

    def __init__(self, config: DeckConfig, notetype_entries: dict[str, Entry], only_subdeck: str | None = None) -> None:
        self.config = config
        self.only_subdeck = only_subdeck
        self.models = {nt.key: _Model(nt, notetype_entries[nt.key].mod) for nt in (BASIC, CLOZE)}
        self.root = genanki.Deck(
            stable_id(config.guid_namespace, "deck"),
            config.title,
            description=f"{html.escape(config.description)}<br>版本 v{html.escape(config.version)}",
        )
        self.decks = {
            s.id: genanki.Deck(stable_id(config.guid_namespace, "deck", s.id), config.subdeck_name(s.id))
            for s in config.subdecks
        }
        self.media: dict[str, Path] = {}
        self.count = 0
        self._ids = itertools.count(-1, -1)
        self._folder = tempfile.TemporaryDirectory()
        self.db_path = Path(self._folder.name) / "collection.anki2"
        try:
            self.conn = sqlite3.connect(self.db_path)
            # A scratch file, zipped or thrown away: no journal, no syncs (neither changes the format).
            self.conn.execute("pragma journal_mode = off")
            self.conn.execute("pragma synchronous = off")
            self.cursor = self.conn.cursor()
            genanki.Package([]).write_to_db(self.cursor, 0, self._ids)  # schema and collection row
        except sqlite3.Error as exc:
            self.close()
            raise OSError(f"cannot write the collection database ({exc})") from exc

    def __enter__(self) -> PackageWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if hasattr(self, "conn"):
            self.conn.close()
        self._folder.cleanup()

    def add(self, note: PackagedNote) -> None:
        card = note.rendered.card
        if self.only_subdeck is not None and card.subdeck != self.only_subdeck:
            return
        model = self.models[note.content.note_type.key]
        deck = self.decks[card.subdeck]
        deck.add_model(model)
        record = _Note(
            note.entry.mod,
            model=model,
            fields=[*note.content.fields, source_field(note.rendered, note.footer or note.entry.version)],
            tags=list(note.content.tags),
            guid=card_guid(self.config, card.id),
            due=note.position,
        )
        try:
            record.write_to_db(self.cursor, 0, deck.deck_id, self._ids)
        except sqlite3.Error as exc:
            raise OSError(f"cannot write the collection database ({exc})") from exc
        self.media.update(note.rendered.media)
        self.count += 1

    def finish(self, newest: int) -> bytes:
        """The .apkg bytes; `newest` is the largest content time of any note or note type."""
        used = [self.root, *(d for d in self.decks.values() if d.models)]
        # Note and card ids only need to be unique; deriving them from content times keeps the
        # bytes identical between builds of the same sources: newest*1000, +1, +2, ...
        shift = newest * 1000 - 1
        try:
            for deck in used:
                deck.write_to_db(self.cursor, 0, self._ids)  # decks and note types; notes are in
            self.cursor.execute("update notes set id = ? - id", (shift,))
            self.cursor.execute("update cards set id = ? - id, nid = ? - nid", (shift, shift))
            self.conn.commit()
        except sqlite3.Error as exc:
            raise OSError(f"cannot write the collection database ({exc})") from exc
        return _zip(self.db_path, self.media)


def _zip(database: Path, media: dict[str, Path]) -> bytes:
    """Entries in a fixed order with fixed times; media files numbered by name."""
    names = sorted(media)
    entries: list[tuple[str, bytes | Path]] = [("collection.anki2", database)]
    entries.append(("media", json.dumps({str(i): n for i, n in enumerate(names)}).encode()))
    entries += [(str(i), media[n]) for i, n in enumerate(names)]
    return zip_bytes(entries)
