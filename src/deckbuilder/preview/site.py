"""A static preview site: every card's front and back with the note type's own CSS and MathJax.

Offline by design: MathJax is copied next to the page from a local MathJax 3 (npm package
`mathjax`, the version Anki bundles), and media are copied beside it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..apkg.ledger import LEDGER_NAME, load_ledger
from ..apkg.notes import note_content, source_field
from ..apkg.notetypes import BASIC, CLOZE, NoteType, note_css
from ..apkg.releases import footer_version, released
from ..config import DeckConfig
from ..fsutil import atomic_write
from ..model import CardType, RenderedCard

MATHJAX_ENV = "DECKBUILDER_MATHJAX"
MATHJAX_RELATIVE = Path("node_modules/mathjax/es5")
MATHJAX_PARTS = ("tex-chtml-full.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")
MATH_SPAN = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.S)
DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
FIELD = re.compile(r"\{\{([^{}]+)\}\}")
MATHJAX_HINT = (
    "MathJax was not found, so formulas show as raw TeX. Run `npm install` in the project "
    "(package.json pins mathjax 3.2.2, the version Anki bundles), or pass --mathjax DIR."
)


def find_mathjax(config: DeckConfig, explicit: str | None, only_explicit: bool = False) -> Path | None:
    """The folder holding MathJax's es5 build, or None."""
    fallbacks = () if only_explicit else (os.environ.get(MATHJAX_ENV), str(config.root / MATHJAX_RELATIVE))
    for candidate in (explicit, *fallbacks):
        if not candidate:
            continue
        path = Path(candidate)
        if path.is_file():
            path = path.parent
        if (path / "tex-chtml-full.js").is_file():
            return path
    return None


def render_cloze(text: str, reveal: bool, ordinal: int) -> str:
    """What Anki shows on card `ordinal` of a cloze note: that number's deletions hidden on the
    front and marked on the back; every other deletion shown as plain text on both sides.

    Inside math Anki puts plain `[...]` (no markup), outside it a `span.cloze`.
    """

    def outside(m: re.Match[str]) -> str:
        if int(m.group(1)) != ordinal:
            return m.group(2)
        shown = m.group(2) if reveal else f"[{m.group(3) or '...'}]"
        return f'<span class="cloze" data-ordinal="{m.group(1)}">{shown}</span>'

    def inside_math(m: re.Match[str]) -> str:
        return m.group(2) if reveal or int(m.group(1)) != ordinal else "[...]"

    parts: list[str] = []
    pos = 0
    for math in MATH_SPAN.finditer(text):
        parts.append(DELETION.sub(outside, text[pos : math.start()]))
        parts.append(DELETION.sub(inside_math, math.group(0)))
        pos = math.end()
    parts.append(DELETION.sub(outside, text[pos:]))
    return "".join(parts)


def fill(template: str, fields: dict[str, str], reveal: bool, ordinal: int = 0) -> str:
    def field(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("cloze:"):
            return render_cloze(fields[name.removeprefix("cloze:")], reveal, ordinal)
        return fields[name]

    return FIELD.sub(field, template)


@dataclass(frozen=True)
class PreviewCard:
    rendered: RenderedCard
    front: str
    back: str
    ordinal: int = 0  # the cloze number this card tests (Anki makes one card per number)

    @property
    def anchor(self) -> str:
        return self.rendered.card.id + (f"-c{self.ordinal}" if self.ordinal else "")

    @property
    def source(self) -> str:
        return str(self.rendered.card.location) + (f" c{self.ordinal}" if self.ordinal else "")


def card_sides(config: DeckConfig, rendered: RenderedCard, footer: str = "") -> list[PreviewCard]:
    """The cards Anki makes from this note: one, or one per cloze number. `footer` is the version
    the package's footer names (the version being prepared when not given)."""
    content = note_content(config, rendered)
    source = source_field(rendered, footer or config.version)
    note_type: NoteType = CLOZE if rendered.card.card_type is CardType.CLOZE else BASIC
    fields = dict(zip(note_type.fields, (*content.fields, source), strict=True))
    if not note_type.is_cloze:
        return [PreviewCard(rendered, fill(note_type.front, fields, False), fill(note_type.back, fields, True))]
    ordinals = sorted({int(n) for n, _, _ in DELETION.findall(fields[note_type.fields[0]])}) or [1]
    return [
        PreviewCard(rendered, fill(note_type.front, fields, False, n), fill(note_type.back, fields, True, n), n)
        for n in ordinals
    ]


def _asset(name: str) -> str:
    return resources.files("deckbuilder").joinpath(f"assets/{name}").read_text(encoding="utf-8")


def page_html(config: DeckConfig, cards: list[PreviewCard], has_mathjax: bool) -> str:
    counts = Counter(c.rendered.card.subdeck for c in cards)
    tags = sorted({t for c in cards for t in c.rendered.card.tags})
    nav = "".join(
        f'<li><a href="#deck-{s.id}">{html.escape(config.subdeck_name(s.id).split("::")[-1])}</a>'
        f' <span class="count">{counts[s.id]}</span></li>'
        for s in config.subdecks
        if counts[s.id]
    )
    sections: list[str] = []
    for subdeck in config.subdecks:
        members = [c for c in cards if c.rendered.card.subdeck == subdeck.id]
        if not members:
            continue
        articles = "".join(_article(c) for c in members)
        title = html.escape(config.subdeck_name(subdeck.id).split("::")[-1])
        sections.append(
            f'<section class="subdeck" id="deck-{subdeck.id}"><h2>{title} '
            f'<span class="count">{len(members)}</span></h2>{articles}</section>'
        )
    options = "".join(f'<option value="{html.escape(t)}">{html.escape(t)}</option>' for t in tags)
    banner = "" if has_mathjax else f'<p class="pv-warning" id="no-mathjax">{html.escape(MATHJAX_HINT)}</p>'
    mathjax = (
        f'<script>{_asset("mathjax-config.js")}</script>\n<script src="mathjax/tex-chtml-full.js" defer></script>'
        if has_mathjax
        else ""
    )
    return _asset("preview.html").format(
        title=html.escape(config.title),
        version=html.escape(config.version),
        total=len(cards),
        card_css=note_css(),
        preview_css=_asset("preview.css"),
        preview_js=_asset("preview.js"),
        mathjax=mathjax,
        banner=banner,
        nav=nav,
        tag_options=options,
        sections="".join(sections),
    )


def _article(card: PreviewCard) -> str:
    c = card.rendered.card
    search = " ".join([c.id, c.question, c.answer, *c.tags, *c.syllabus]).lower()
    meta = " ".join(f'<span class="pv-q">{html.escape(q)}</span>' for q in c.syllabus) + " ".join(
        f' <span class="pv-tag">#{html.escape(t)}</span>' for t in c.tags
    )
    return (
        f'<article class="pv-card" id="card-{html.escape(card.anchor)}" data-source="{html.escape(card.source)}"'
        f' data-tags="{html.escape(" ".join(c.tags))}" data-search="{html.escape(search)}">'
        f'<div class="pv-meta"><a href="#card-{html.escape(card.anchor)}">{html.escape(card.anchor)}</a>'
        f" · {html.escape(str(c.location))} · {c.card_type.value} {meta}</div>"
        f'<div class="pv-side pv-front"><div class="pv-label">正面</div>{card.front}</div>'
        f'<div class="pv-side pv-back"><div class="pv-label">背面</div>{card.back}</div>'
        "</article>"
    )


def write_preview(config: DeckConfig, rendered: list[RenderedCard], out_dir: Path, mathjax: Path | None) -> Path:
    """Write index.html, media and MathJax into out_dir; returns the index path."""
    ledger, _ = load_ledger(config.cards_path / LEDGER_NAME, LEDGER_NAME)
    releases = released(config.root)
    cards = [
        side
        for r in rendered
        for side in card_sides(config, r, footer_version(ledger.cards.get(r.card.id), config.version, releases))
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, source in sorted({m for r in rendered for m in r.media}):
        atomic_write(out_dir / name, source.read_bytes())
    if mathjax is not None:
        target = out_dir / "mathjax"
        for part in MATHJAX_PARTS:
            src = mathjax / part
            if src.is_dir():
                shutil.copytree(src, target / part, dirs_exist_ok=True)
            elif src.is_file():
                (target / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target / part)
    index = out_dir / "index.html"
    atomic_write(index, page_html(config, cards, mathjax is not None).encode("utf-8"))
    atomic_write(out_dir / "cards.json", _index_json(cards).encode("utf-8"))
    return index


def _index_json(cards: list[PreviewCard]) -> str:
    """Card ids with their source locations, for tools that check the page."""
    rows = [{"id": c.anchor, "source": c.source} for c in cards]
    return json.dumps(rows, ensure_ascii=False, indent=0) + "\n"


def source_state(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and mtimes of everything a preview is made from (for --watch)."""
    paths = [root / "deck.toml", *(root / "cards").rglob("*"), *(root / "assets").rglob("*")]
    state = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        state.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(sorted(state))
