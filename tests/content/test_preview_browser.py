"""The preview site of the real deck in headless Chromium: MathJax, images, night contrast, phone width."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_support import CHROMIUM_ARGS, chromium_path, missing
from deckbuilder.config import load_config
from deckbuilder.pipeline import gather
from deckbuilder.preview.site import find_mathjax, write_preview

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "dist" / "screenshots"

PROBE_MATH = """() => {
  const out = {};
  for (const card of document.querySelectorAll('.pv-card')) {
    const code = [...card.querySelectorAll('pre, code')].map(e => e.innerText).join('\\n');
    const delims = s => (s.match(/\\\\[()\\[\\]]/g) || []).length;
    out[card.dataset.source] = {
      problems: [],
      leftover: delims(card.innerText) - delims(code),
      broken: [...card.querySelectorAll('img')].filter(i => !i.complete || !i.naturalWidth).map(i => i.getAttribute('src')),
      merror: card.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    };
  }
  for (const item of MathJax.startup.document.math) {
    const mml = MathJax.startup.toMML(item.root);
    const errors = [...mml.matchAll(/data-mjx-error="([^"]*)"/g)].map(m => m[1]);
    const undef = [...mml.matchAll(/<mtext mathcolor="red">([^<]*)<\\/mtext>/g)].map(m => m[1]);
    const card = item.start.node.parentElement && item.start.node.parentElement.closest('.pv-card');
    if ((errors.length || undef.length) && card) out[card.dataset.source].problems.push({tex: item.math, errors, undef});
  }
  return out;
}"""

PROBE_CONTRAST = """() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = ({r, g, b}) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const bad = [];
  for (const card of document.querySelectorAll('.pv-card')) {
    const seen = new Set();
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || seen.has(el) || el.closest('mjx-assistive-mml')) continue;
      seen.add(el);
      const fg = parse(getComputedStyle(el).color), bg = background(el);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < 4.5) bad.push({source: card.dataset.source, text: n.textContent.trim().slice(0, 30), ratio: Math.round(ratio * 100) / 100,
                                 color: getComputedStyle(el).color, cls: el.className});
    }
  }
  return bad;
}"""

PROBE_WIDTH = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('.pv-card')].filter(c => c.getBoundingClientRect().right > width + 1)
    .map(c => c.dataset.source);
  return {page: document.documentElement.scrollWidth, viewport: width, wide};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = load_config(ROOT)
    mathjax = find_mathjax(config, None)
    if mathjax is None:
        missing("MathJax is not installed (npm install)")
    report = gather(config).report
    assert report.errors() == []
    out = tmp_path_factory.mktemp("preview")
    return write_preview(config, report.rendered, out, mathjax)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        # Real scrollbars, as Anki desktop draws them (headless hides them by default).
        instance = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, ignore_default_args=["--hide-scrollbars"]
        )
        yield instance
        instance.close()


def open_page(browser: Any, site: Path, night: bool = False, width: int = 1000) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(site.as_uri() + ("?night=1" if night else "?night=0"))
    page.wait_for_function("document.documentElement.dataset.mathjax === 'ready'", timeout=180_000)
    page.wait_for_load_state("load")
    return page


@pytest.fixture(scope="module")
def light(browser: Any, site: Path) -> Iterator[Any]:
    page = open_page(browser, site)
    yield page
    page.close()


@pytest.fixture(scope="module")
def night(browser: Any, site: Path) -> Iterator[Any]:
    page = open_page(browser, site, night=True)
    yield page
    page.close()


@pytest.fixture(scope="module")
def phone(browser: Any, site: Path) -> Iterator[Any]:
    page = open_page(browser, site, night=True, width=390)
    yield page
    page.close()


def screenshot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def failures(result: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for source, found in result.items():
        if found["problems"] or found["leftover"] or found["broken"] or found["merror"]:
            lines.append(f"{source}: {json.dumps(found, ensure_ascii=False)}")
    return lines


def test_every_card_typesets_without_mathjax_errors_or_broken_images(light: Any, site: Path) -> None:
    result = light.evaluate(PROBE_MATH)
    cards = json.loads((site.parent / "cards.json").read_text(encoding="utf-8"))
    assert len(result) == len(cards) > 0
    assert failures(result) == []
    assert light.locator("mjx-container").count() > 0
    screenshot(light, "preview-light.png")


def contrast_failures(page: Any) -> list[str]:
    bad = page.evaluate(PROBE_CONTRAST)
    return [f"{b['source']}: {b['text']!r} {b['color']} ratio {b['ratio']} ({b['cls']})" for b in bad]


def test_night_text_contrast_meets_wcag_aa(night: Any) -> None:
    assert night.evaluate("document.body.classList.contains('nightMode')")
    assert contrast_failures(night) == []
    screenshot(night, "preview-night.png")


def test_light_text_contrast_meets_wcag_aa(light: Any) -> None:
    assert not light.evaluate("document.body.classList.contains('nightMode')")
    assert contrast_failures(light) == []


def test_phone_width_has_no_page_level_horizontal_scroll(phone: Any) -> None:
    result = phone.evaluate(PROBE_WIDTH)
    assert result["wide"] == []
    assert result["page"] <= result["viewport"]
    screenshot(phone, "preview-phone-night.png")


def test_no_formula_or_table_shows_a_needless_scrollbar(night: Any) -> None:
    """A 1-px overflow made Anki desktop draw a scrollbar under every inline formula."""
    script = """() => [...document.querySelectorAll('span.arithmatex')]
      .filter(e => e.offsetHeight - e.clientHeight > 2)
      .map(e => e.closest('.pv-card').dataset.source + ' ' + e.textContent.slice(0, 40))"""
    assert night.evaluate(script) == []


def test_search_tag_filter_and_night_switch(light: Any) -> None:
    cards = light.locator(".pv-card")
    total = cards.count()
    first_id = cards.first.get_attribute("id").removeprefix("card-")
    light.fill("#search", first_id)
    visible = light.locator(".pv-card:not([hidden])")
    assert 1 <= visible.count() < total
    assert light.inner_text("#shown") == str(visible.count())
    light.fill("#search", "")
    assert visible.count() == total
    tag = light.locator("#tag option").nth(1).get_attribute("value")
    light.select_option("#tag", tag)
    assert all(
        tag in c.split()
        for c in light.eval_on_selector_all(".pv-card:not([hidden])", "els => els.map(e => e.dataset.tags)")
    )
    light.select_option("#tag", "")
    light.click("#night")
    assert light.evaluate("document.body.classList.contains('nightMode')")
    light.click("#night")
    assert not light.evaluate("document.body.classList.contains('nightMode')")


def test_the_probe_catches_what_it_must(browser: Any, make_project: Any, tmp_path: Path) -> None:
    """Guard against a check that cannot fail: a bad macro, bad TeX and a broken image are caught."""
    card = (
        "## 坏公式\n<!-- id: bad-math -->\n\n未定义宏 $\\notamacro{x}$，错误 TeX $x^^2$。\n\n"
        '<img src="missing-file.png" alt="gone">\n'
    )
    root = make_project({"cards/more/bad.md": card})
    config = load_config(root)
    report = gather(config).report
    site = write_preview(config, report.rendered, tmp_path / "site", find_mathjax(load_config(ROOT), None))
    page = open_page(browser, site)
    result = page.evaluate(PROBE_MATH)
    page.close()
    bad = result["cards/more/bad.md:1"]
    assert [p["undef"] for p in bad["problems"] if p["undef"]] == [["\\notamacro"]]
    assert any(p["errors"] for p in bad["problems"])
    assert bad["broken"] == ["missing-file.png"]
    assert [line.split(":")[0] for line in failures(result)] == ["cards/more/bad.md"]
