"""Card text that passes the check but looks dangerous, as learners get it: built, imported into
the real Anki, each card's HTML typeset with Anki's MathJax configuration in Chromium. The page
must hold no script link, no style, class or id from card text, and no remote image."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from anki_support import import_package, open_collection
from browser_support import anki_mathjax_page, evaluate_typeset
from conftest import MakeProject
from deckbuilder.config import load_config
from deckbuilder.pipeline import build

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

TRICKY = r"""
## 公式里的字样 $\text{javascript:alert(1)}$ 与 $\mathrm{href}$？
<!-- id: t-words -->

- 行内代码 `<img src=x onerror=alert(1)>` 和 `\href{javascript:x}{y}` 只是文字。
- 公式里的尖括号 $a<b$, $<img src=x onerror=alert(2)>$ 不是 HTML。
- 转义文字 &lt;script&gt;alert(3)&lt;/script&gt; 与 [正常链接](https://example.org)。
- <span title="javascript:alert(4)">title 里的字样</span>

<!-- fold -->
$$
\begin{aligned}
\text{url}(x) &= \kern-0.1em \mathrm{style} \\
\rule{1em}{0.4pt} &\quad \mathbf{class}
\end{aligned}
$$

## 填空 {{c1::$\text{data:}$}}
<!-- id: t-cloze; type: cloze -->
$\sqrt{ {{c1::d_k}} }$ 与 {{c2::`javascript:void(0)`}}。
<!-- back -->
补充 $\text{cssId}$。
"""

PROBE_SAFETY = """() => {
  const page = new Set(['card', 'nightMode', 'pv-card', 'q', 'q-back', 'a', 'extra', 'src', 'cloze', 'fold',
                        'highlight', 'arithmatex', 'line', 'cloze-inactive']);
  const bad = [];
  for (const el of document.querySelectorAll('section.pv-card *')) {
    const inMath = el.closest('mjx-container') !== null;
    const href = el.getAttribute('href');
    if (href !== null && !/^(https?:|mailto:)/i.test(href.trim())) bad.push('link ' + href);
    const src = el.getAttribute('src');
    if (src !== null && /^[a-z][a-z0-9+.-]*:|^\\/\\//i.test(src.trim())) bad.push('remote image ' + src);
    if (el.tagName === 'A' && inMath) bad.push('a link made by MathJax');
    if (el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || el.tagName === 'IFRAME') bad.push('tag ' + el.tagName);
    for (const attr of el.getAttributeNames()) if (attr.startsWith('on')) bad.push('handler ' + attr);
    if (inMath) {
      // MathJax's own output: mjx-* elements, font classes, the container's relative position
      const style = el.getAttribute('style') || '';
      if (/position:\\s*(fixed|absolute|sticky)|url\\(|z-index|opacity|display:\\s*none|visibility|(^|[;\\s])color:/i.test(style))
        bad.push('math style ' + style);
      if (el.id) bad.push('math id ' + el.id);
      for (const c of el.classList) if (!/^(mjx-|MJX-|TEX-|MathJax$)/.test(c)) bad.push('math class ' + c);
    } else {
      if (el.hasAttribute('style') && !(el.tagName === 'TD' || el.tagName === 'TH')) bad.push('style on ' + el.tagName);
      if (el.id && !(el.tagName === 'HR' && el.id === 'answer')) bad.push('id ' + el.id);
      const pygments = el.closest('.highlight') !== null;
      for (const c of el.classList) if (!page.has(c) && !pygments) bad.push('class ' + c);
    }
  }
  return {bad, math: document.querySelectorAll('section.pv-card mjx-container').length,
          sides: document.querySelectorAll('section.pv-card').length};
}"""


def test_tricky_but_allowed_cards_render_without_links_styles_or_remote_images(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({"cards/more/tricky.md": TRICKY})
    package, report = build(load_config(root), tmp_path / "dist")
    assert package is not None, [str(d) for d in report.diagnostics]
    col = open_collection(tmp_path / "anki")
    try:
        log = import_package(col, package)
        assert len(log.conflicting) == 0
        sections = []
        css = ""
        for cid in sorted(col.find_cards("")):
            output = col.get_card(cid).render_output()
            css = output.css
            for text in (output.question_text, output.answer_text):
                sections.append(f'<section class="pv-card">{col.media.escape_media_filenames(text)}</section>')
        media = Path(col.media.dir())
    finally:
        col.close()
    page = anki_mathjax_page(tmp_path / "page.html", "".join(sections), css, media)
    opened = "document.querySelectorAll('details').forEach(d => d.open = true)"
    result = evaluate_typeset(page, PROBE_SAFETY, before=opened)
    assert result["sides"] == len(sections) > 0 and result["math"] > 5
    assert result["bad"] == [], html.unescape(str(result["bad"]))


def test_the_safety_probe_sees_what_it_must(tmp_path: Path) -> None:
    """Guard against a probe that cannot fail: the same page with forbidden things in it."""
    hostile = (
        r'<section class="pv-card">\(\href{javascript:alert(1)}{x}\) \(\style{position:fixed}{y}\) '
        r'\(\class{card}{z}\) <img src="https://t.example/p.png"><span class="evil" id="x">w</span></section>'
    )
    bad = " | ".join(evaluate_typeset(anki_mathjax_page(tmp_path / "page.html", hostile), PROBE_SAFETY)["bad"])
    for expected in ("link javascript:alert(1)", "a link made by MathJax", "math style", "math class card",
                     "remote image https://t.example/p.png", "class evil", "id x"):  # fmt: skip
        assert expected in bad, bad
