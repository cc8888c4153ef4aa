"""Rendered cards to a deterministic `.apkg`: stable ids, per-note mod times, a zip we write."""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki

from .config import DeckConfig
from .ledger import Entry
from .model import RenderedCard
from .notetypes import BASIC, CLOZE, NoteType, note_css

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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
class PackageInput:
    config: DeckConfig
    rendered: list[RenderedCard]
    contents: list[NoteContent]
    card_entries: list[Entry]
    notetype_entries: dict[str, Entry]


def package_bytes(data: PackageInput, only_subdeck: str | None = None) -> bytes:
    """The .apkg bytes: the whole deck, or one subdeck with the same GUIDs and deck names."""
    config = data.config
    models = {nt.key: _Model(nt, data.notetype_entries[nt.key].mod) for nt in (BASIC, CLOZE)}
    root = genanki.Deck(
        stable_id(config.guid_namespace, "deck"),
        config.title,
        description=f"{html.escape(config.description)}<br>版本 v{html.escape(config.version)}",
    )
    decks = {
        s.id: genanki.Deck(stable_id(config.guid_namespace, "deck", s.id), config.subdeck_name(s.id))
        for s in config.subdecks
    }
    media: dict[str, Path] = {}
    for position, (rendered, content, entry) in enumerate(
        zip(data.rendered, data.contents, data.card_entries, strict=True), start=1
    ):
        if only_subdeck is not None and rendered.card.subdeck != only_subdeck:
            continue
        note = _Note(
            entry.mod,
            model=models[content.note_type.key],
            fields=[*content.fields, source_field(rendered, entry.version)],
            tags=list(content.tags),
            guid=card_guid(config, rendered.card.id),
            due=position,
        )
        decks[rendered.card.subdeck].add_note(note)
        media.update(rendered.media)
    used = [root, *(d for d in decks.values() if d.notes)]
    # Note and card ids only need to be unique; deriving them from content times keeps
    # the bytes identical between builds of the same sources.
    newest = max([e.mod for e in data.card_entries] + [e.mod for e in data.notetype_entries.values()] + [1])
    id_gen = itertools.count(newest * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "collection.anki2"
        try:
            conn = sqlite3.connect(db_path)
            try:
                genanki.Package(used).write_to_db(conn.cursor(), 0, id_gen)
                conn.commit()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise OSError(f"cannot write the collection database ({exc})") from exc
        return _zip(db_path, media)


def _zip(database: Path, media: dict[str, Path]) -> bytes:
    """Entries in a fixed order with fixed times; files are streamed, not read whole."""
    names = sorted(media)
    entries: list[tuple[str, Path | bytes]] = [("collection.anki2", database)]
    entries.append(("media", json.dumps({str(i): n for i, n in enumerate(names)}).encode()))
    entries += [(str(i), media[n]) for i, n in enumerate(names)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            if isinstance(payload, bytes):
                archive.writestr(info, payload)
                continue
            with payload.open("rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    return buffer.getvalue()
