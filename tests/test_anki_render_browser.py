"""Every card side as the real Anki renders it (backend HTML + note-type CSS), typeset in Chromium.

The preview emulates Anki's templates; this test does not: it imports the built deck into a fresh
collection, takes each card's `render_output()`, and typesets it with MathJax configured as
Anki's reviewer, in night mode.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from anki_support import import_package, open_collection
from browser_support import CHROMIUM_ARGS, chromium_path, missing
from deckbuilder.config import load_config
from deckbuilder.pipeline import build
from deckbuilder.preview import find_mathjax
from test_preview_browser import PROBE_MATH, failures

ROOT = Path(__file__).resolve().parent.parent


def test_real_anki_card_html_typesets_cleanly(tmp_path: Path) -> None:
    import pytest

    config = load_config(ROOT)
    mathjax = find_mathjax(config, None)
    if mathjax is None:
        missing("MathJax is not installed (npm install)")
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    package, _ = build(config, tmp_path / "dist", update_ledger=False, use_cache=False)
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
                    f'<section class="pv-card card nightMode" data-source="{html.escape(where)} {side}">'
                    f"{col.media.escape_media_filenames(text)}</section>"
                )
        media_dir = Path(col.media.dir())
    finally:
        col.close()
    config_js = (ROOT / "src/deckbuilder/assets/mathjax-config.js").read_text(encoding="utf-8")
    page = tmp_path / "cards.html"
    page.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><base href="{media_dir.as_uri()}/">'
        f"<style>{css}</style><script>{config_js}</script>"
        f'<script src="{(mathjax / "tex-chtml-full.js").as_uri()}"></script></head>'
        f'<body class="card nightMode">{"".join(sections)}</body></html>',
        encoding="utf-8",
    )
    with sync_api.sync_playwright() as playwright:
        browser: Any = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            tab.wait_for_function("document.documentElement.dataset.mathjax === 'ready'", timeout=180_000)
            result = tab.evaluate(PROBE_MATH)
        finally:
            browser.close()
    assert len(result) == len(sections) > 0
    assert failures(result) == []
