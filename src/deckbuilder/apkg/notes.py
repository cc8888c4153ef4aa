"""What goes into a note: its fields, tags and deck, hashed for the ledger, and its place in the
deck. No genanki here: stamping, the preview and checks need these without the package writer."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass

from ..config import DeckConfig
from ..model import RenderedCard
from .ledger import Entry
from .notetypes import BASIC, CLOZE, NoteType


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
