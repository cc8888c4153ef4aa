"""Stamped notes to a deterministic `.apkg`: stable ids, per-note mod times, fixed zip entries."""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import itertools
import json
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import genanki

from ..config import DeckConfig
from .notes import source_field
from .notetypes import BASIC, CLOZE, NoteType, note_css

if TYPE_CHECKING:
    from .stamping import Stamper as Stamped


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


def package_bytes(config: DeckConfig, stamper: Stamped, only_subdeck: str | None = None) -> bytes:
    """The package stage: the `.apkg` bytes of the stamped notes (of one subdeck, if given).

    genanki writes the collection; note and card ids come from the newest content time
    (newest*1000, +1, ...), so the same sources and ledger give the same bytes.
    """
    models = {nt.key: _Model(nt, stamper.notetypes[nt.key].mod) for nt in (BASIC, CLOZE)}
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
    for note in stamper.notes:
        card = note.rendered.card
        if only_subdeck is not None and card.subdeck != only_subdeck:
            continue
        model = models[note.content.note_type.key]
        decks[card.subdeck].add_model(model)
        decks[card.subdeck].add_note(
            _Note(
                note.entry.mod,
                model=model,
                fields=[*note.content.fields, source_field(note.rendered, note.footer or note.entry.version)],
                tags=list(note.content.tags),
                guid=card_guid(config, card.id),
                due=note.position,
            )
        )
        media.update(note.rendered.media)
    package = genanki.Package([root, *(d for d in decks.values() if d.notes)])
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "collection.anki2"
        try:
            with contextlib.closing(sqlite3.connect(database)) as conn:
                package.write_to_db(conn.cursor(), stamper.newest, itertools.count(stamper.newest * 1000))
                conn.commit()
        except sqlite3.Error as exc:
            raise OSError(f"cannot write the collection database ({exc})") from exc
        return _zip(database, media)


def _zip(database: Path, media: dict[str, Path]) -> bytes:
    """Entries in a fixed order with fixed times (1980-01-01): no build time leaks into the bytes.
    Files are streamed in (the collection is the biggest thing a build holds otherwise)."""
    names = sorted(media)
    listing = io.BytesIO(json.dumps({str(i): n for i, n in enumerate(names)}).encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        sources: list[tuple[str, Path | io.BytesIO]] = [("collection.anki2", database), ("media", listing)]
        for name, source in sources + [(str(i), media[n]) for i, n in enumerate(names)]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            with archive.open(info, "w") as entry, _opened(source) as data:
                shutil.copyfileobj(data, entry, CHUNK)
    return buffer.getvalue()


CHUNK = 1 << 20


def _opened(source: Path | io.BytesIO) -> contextlib.AbstractContextManager[BinaryIO]:
    return source.open("rb") if isinstance(source, Path) else contextlib.nullcontext(source)
