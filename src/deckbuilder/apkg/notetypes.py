"""The two note types, fixed up front: ids, field names and field order never change.

Anki strands notes as "conflicting" when a note type's fields change, so the schema here is
frozen; CSS and template text may change (their hash gives the note type's mod time).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pygments.formatters import HtmlFormatter

BASIC_MODEL_ID = 1_735_603_001
CLOZE_MODEL_ID = 1_735_603_002
LIGHT_STYLE = "default"
NIGHT_STYLE = "github-dark"


@dataclass(frozen=True)
class NoteType:
    key: str
    model_id: int
    name: str
    fields: tuple[str, ...]
    front: str
    back: str
    is_cloze: bool

    def field_dicts(self) -> list[dict[str, object]]:
        # Stable field ids let Anki >= 23.10 match fields by id when merging note types.
        return [{"name": name, "id": self.model_id * 100 + i, "font": "Arial"} for i, name in enumerate(self.fields)]

    def template_dicts(self) -> list[dict[str, object]]:
        return [{"name": "Card 1", "id": self.model_id * 100 + 50, "qfmt": self.front, "afmt": self.back}]


SOURCE_LINE = '<div class="src">{{Source}}</div>'
BASIC = NoteType(
    key="basic",
    model_id=BASIC_MODEL_ID,
    name="deckbuilder 问答 (Basic)",
    fields=("Question", "Answer", "Source"),
    front='<div class="q">{{Question}}</div>',
    back='<div class="q q-back">{{Question}}</div>\n<hr id="answer">\n<div class="a">{{Answer}}</div>\n' + SOURCE_LINE,
    is_cloze=False,
)
CLOZE = NoteType(
    key="cloze",
    model_id=CLOZE_MODEL_ID,
    name="deckbuilder 填空 (Cloze)",
    fields=("Text", "Back Extra", "Source"),
    front='<div class="a">{{cloze:Text}}</div>',
    back='<div class="a">{{cloze:Text}}</div>\n<div class="a extra">{{Back Extra}}</div>\n' + SOURCE_LINE,
    is_cloze=True,
)
NOTE_TYPES = (BASIC, CLOZE)


@cache
def note_css() -> str:
    """Card CSS plus the light and night Pygments themes, scoped as Anki's webview needs."""
    base = resources.files("deckbuilder").joinpath("assets/card.css").read_text(encoding="utf-8")
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    night_rules = HtmlFormatter(style=NIGHT_STYLE).get_style_defs(".nightMode .highlight")  # type: ignore[no-untyped-call]
    # Anki puts both classes on <body>: ".card.nightMode" matches, ".nightMode .card" does not.
    night = night_rules.replace(".nightMode .highlight", ".card.nightMode .highlight")
    return "\n".join(
        [
            base,
            "/* Pygments light theme: " + LIGHT_STYLE + " */",
            light,
            ".highlight pre { background-color: #f6f8fa; }",
            ".highlight .err { border: none; background: none; }",
            "/* Pygments night theme: " + NIGHT_STYLE + " */",
            night,
            ".card.nightMode .highlight pre { background-color: #0d1117; color: #e6edf3; }",
            ".card.nightMode .highlight .err { border: none; background: none; }",
        ]
    )


def schema_hash(note_type: NoteType) -> str:
    """Hash of everything that, when changed, must reach learners (CSS, templates, names)."""
    payload = json.dumps(
        [note_type.name, note_type.fields, note_type.front, note_type.back, note_css()], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()
