"""Every card side as the real Anki renders it (backend HTML + note-type CSS), typeset in Chromium.

The preview emulates Anki's templates; this test does not: it imports the built deck into a fresh
collection, takes each card's `render_output()`, and typesets it with MathJax configured as
Anki's reviewer, in night mode.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_preview_browser import PROBE_MATH, failures

from anki_support import import_package, open_collection
from browser_support import CHROMIUM_ARGS, chromium_path, missing
from deckbuilder.config import load_config
from deckbuilder.pipeline import Options, build
from deckbuilder.preview.site import find_mathjax

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class AnkiPage:
    path: Path
    sides: int


@pytest.fixture(scope="module")
def anki_page(tmp_path_factory: pytest.TempPathFactory) -> AnkiPage:
    """Every card side of the real deck as the real Anki renders it, on one page (night mode)."""
    config = load_config(ROOT)
    mathjax = find_mathjax(config, None)
    if mathjax is None:
        missing("MathJax is not installed (npm install)")
    tmp_path = tmp_path_factory.mktemp("anki-render")
    package, _ = build(config, tmp_path / "dist", update_ledger=False, options=Options(use_cache=False))
    assert package is not None
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, package)
        sections: list[str] = []
        css = ""
        for cid in sorted(col.find_cards("")):
            card = col.get_card(cid)
            output = card.render_output()
            css = output.css
            where = f"{col.decks.name(card.did)} · {card.note().guid} · card {card.ord + 1}"
            for side, text in (("front", output.question_text), ("back", output.answer_text)):
                sections.append(
                    f'<section class="pv-card card nightMode" data-side="{side}" data-source="{html.escape(where)} {side}">'
                    f"{col.media.escape_media_filenames(text)}</section>"
                )
        media_dir = Path(col.media.dir())
    finally:
        col.close()
    config_js = (ROOT / "src/deckbuilder/assets/mathjax-config.js").read_text(encoding="utf-8")
    page = tmp_path / "cards.html"
    page.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><base href="{media_dir.as_uri()}/">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{css}</style><style>section.pv-card {{ padding: 0 16px; }}</style><script>{config_js}</script>"
        f'<script src="{(mathjax / "tex-chtml-full.js").as_uri()}"></script></head>'
        f'<body class="card nightMode" style="margin:0">{"".join(sections)}</body></html>',
        encoding="utf-8",
    )
    return AnkiPage(page, len(sections))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def probe(chromium: Any, page: AnkiPage, width: int, script: str) -> Any:
    """Open the page at this width, wait for MathJax, run the probe script, close the tab."""
    tab = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        tab.goto(page.path.as_uri())
        tab.wait_for_function("document.documentElement.dataset.mathjax === 'ready'", timeout=180_000)
        return tab.evaluate(script)
    finally:
        tab.close()


def test_real_anki_card_html_typesets_cleanly(chromium: Any, anki_page: AnkiPage) -> None:
    result = probe(chromium, anki_page, 1000, PROBE_MATH)
    assert len(result) == anki_page.sides > 0
    assert failures(result) == []


# With every fold open: each card side at 390 px. Code must wrap (never scroll or clip), display
# formulas must fit (docs/card-style.md: split them with `aligned`), nothing may make the card wider
# than the phone; only tables may scroll inside their own box.
PROBE_PHONE = """() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const bad = [];
  for (const side of document.querySelectorAll('section.pv-card')) {
    const box = side.getBoundingClientRect();
    if (side.scrollWidth > side.clientWidth + 1) bad.push(side.dataset.source + ': card wider than the phone');
    for (const pre of side.querySelectorAll('pre')) {
      if (pre.scrollWidth > pre.clientWidth + 1) bad.push(side.dataset.source + ': code scrolls sideways: '
        + pre.textContent.split('\\n').sort((a, b) => b.length - a.length)[0].slice(0, 60));
    }
    for (const math of side.querySelectorAll('mjx-container[display="true"]')) {
      if (math.scrollWidth > math.clientWidth + 1) bad.push(side.dataset.source + ': formula scrolls sideways ('
        + math.scrollWidth + ' px in ' + math.clientWidth + '): ' + (math.closest('div.arithmatex') || math).textContent.slice(0, 40));
    }
    for (const el of side.querySelectorAll('pre, table, div.arithmatex, img, p, li')) {
      const r = el.getBoundingClientRect();
      if (r.right > box.right + 1) bad.push(side.dataset.source + ': ' + el.tagName + ' sticks out of the card');
    }
  }
  return {bad, sides: document.querySelectorAll('section.pv-card').length,
          pres: document.querySelectorAll('pre').length};
}"""


def test_every_answer_side_fits_a_phone_with_folds_open(chromium: Any, anki_page: AnkiPage) -> None:
    result = probe(chromium, anki_page, 390, PROBE_PHONE)
    assert result["sides"] == anki_page.sides and result["pres"] > 0
    assert result["bad"] == []


PROBE_FOLD = """() => {
  const folds = [...document.querySelectorAll('section[data-side="back"] details.fold')];
  const height = d => d.getBoundingClientRect().height;
  const summary = d => d.querySelector('summary').getBoundingClientRect().height;
  // closed: the fold is as tall as its summary line; opened: its content adds height
  const closed = folds.filter(d => !d.open && summary(d) > 0 && height(d) <= summary(d) + 2);
  let grows = false;
  if (folds.length) {
    const first = folds[0], before = height(first);
    first.querySelector('summary').click();
    grows = height(first) > before + 10;
  }
  return {folds: folds.length, closed: closed.length, grows,
          fronts: document.querySelectorAll('section[data-side="front"] details.fold').length};
}"""


def test_folds_are_closed_until_the_learner_opens_them(chromium: Any, anki_page: AnkiPage) -> None:
    result = probe(chromium, anki_page, 390, PROBE_FOLD)
    assert result["folds"] > 0 and result["closed"] == result["folds"]
    assert result["grows"]
    assert result["fronts"] == 0  # a basic card's fold is on its back only
