"""A card is untrusted input: whatever its text, it cannot run script, restyle Anki or break the
package. Each case here passed `check` before the shipped HTML was checked whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PNG_1X1, ROOT, MakeProject
from deckbuilder.config import load_config
from deckbuilder.pipeline import gather
from deckbuilder.render.sanitize import sanitize, unsafe_html
from deckbuilder.render.texguard import forbidden_tex
from deckbuilder.source.files import parse_bytes


def errors_of(root: Path) -> list[str]:
    report = gather(load_config(root)).report
    return [str(d) for d in report.errors()]


def card(body: str, question: str = "问题") -> str:
    return f"## {question}\n<!-- id: hostile -->\n\n{body}\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("$\\href{javascript:alert(1)}{点我}$", "'\\href' is not allowed in math: it makes a link"),
        ("$$\n\\style{position:fixed;width:100vw}{x}\n$$", "'\\style' is not allowed in math: it adds inline CSS"),
        ("$\\class{card}{x}$", "'\\class' is not allowed in math"),
        ("$\\cssId{answer}{x}$", "'\\cssId' is not allowed in math"),
        ("$\\bbox[border:9px solid red]{x}$", "'\\bbox' is not allowed in math"),
        ("$\\mmlToken{mi}[href='javascript:1']{x}$", "'\\mmlToken' is not allowed in math"),
        ("$\\data{x=1}{y}$", "'\\data' is not allowed in math"),
        ("$\\require{action}$", "'\\require' is not allowed in math"),
        ("$\\renewcommand{\\frac}{x}$", "'\\renewcommand' is not allowed in math"),
        ("$\\def\\a{b}$", "'\\def' is not allowed in math"),
        ("$\\let\\sqrt\\relax$", "'\\let' is not allowed in math"),
        ("$\\rule{500em}{500em}$", "'\\rule' is larger than 10em"),
        ("$\\hspace{3000px}$", "'\\hspace' is larger than 10em"),
        ("$\\texttip{x}{y}$", "'\\texttip' is not allowed in math"),
        # TeX that Markdown does not treat as math still reaches MathJax as text:
        ("价格 \\\\(\\href{javascript:alert(1)}{x}\\\\)", "'\\href' is not allowed in math"),
        ("\\\\(\\hr<b></b>ef{javascript:alert(1)}{x}\\\\)", "'\\href' is not allowed in math"),
    ],
)
def test_math_that_would_make_links_styles_or_macros_is_an_error_at_its_line(
    make_project: MakeProject, body: str, message: str
) -> None:
    lines = card(body).split("\n")
    line = next(i for i, text in enumerate(lines, 1) if "\\" in text)
    root = make_project({"cards/more/evil.md": card(body)})
    found = [e for e in errors_of(root) if e.startswith("cards/more/evil.md")]
    assert any(e.startswith(f"cards/more/evil.md:{line}: error: ") and message in e for e in found), found


def test_math_is_checked_in_question_cloze_and_fold(make_project: MakeProject) -> None:
    text = (
        "## 问 $\\style{color:red}{x}$？\n<!-- id: q1 -->\n答。\n\n"
        "## 填空\n<!-- id: q2; type: cloze -->\n{{c1::$\\href{javascript:x}{y}$}}\n\n"
        "## 折叠？\n<!-- id: q3 -->\n答。\n\n<!-- fold -->\n$\\cssId{x}{y}$\n"
    )
    found = errors_of(make_project({"cards/more/evil.md": text}))
    assert [e.split(": error: ")[0] for e in found if "evil.md" in e] == [
        "cards/more/evil.md:1",
        "cards/more/evil.md:7",
        "cards/more/evil.md:14",
    ]


def test_ordinary_math_passes() -> None:
    for tex in (
        "\\frac{QK^\\top}{\\sqrt{d_k}}",
        "\\kern-0.2em x",
        "\\rule{1em}{0.4pt}",
        "\\text{href}",
        "\\mathrm{class}",
    ):
        assert forbidden_tex(tex) == [], tex


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[点我](javascript:alert(1))", "'javascript:' URLs are not allowed in href"),
        ("[点我][r]\n\n[r]: JaVaScRiPt:alert(1)", "'JaVaScRiPt:' URLs are not allowed in href"),
        ("[点我](vbscript:msgbox)", "'vbscript:' URLs are not allowed in href"),
        ("[数据](data:text/html;base64,PHNjcmlwdD4=)", "'data:' URLs are not allowed in href"),
        ('<a href="java&#x09;script:alert(1)">x</a>', "'javascript:' URLs are not allowed in href"),
        ('<a href=" javascript:alert(1)">x</a>', "'javascript:' URLs are not allowed in href"),
        ("<img src=https://tracker.example/p.png>", "image 'https://tracker.example/p.png' must be a relative path"),
        ("<IMG SRC='https://tracker.example/p.png'>", "image 'https://tracker.example/p.png' must be a relative path"),
        ('<span class="nightMode">x</span>', "class 'nightMode' is not allowed"),
        ('<div class="card">x</div>', "class 'card' is not allowed"),
    ],
)
def test_links_images_and_classes_are_checked_on_the_shipped_html(
    make_project: MakeProject, body: str, message: str
) -> None:
    root = make_project({"cards/more/evil.md": card(body)})
    found = [e for e in errors_of(root) if "evil.md" in e]
    line = 6 if "[r]:" in body else 4  # a reference link: where its URL is written
    assert any(e.startswith(f"cards/more/evil.md:{line}: error: ") and message in e for e in found), found


def test_an_image_in_the_question_is_checked_and_packaged(make_project: MakeProject) -> None:
    remote = make_project({"cards/more/evil.md": card("答。", "看 ![x](https://tracker.example/q.png)？")})
    assert any("evil.md:1: error: image 'https://tracker.example/q.png'" in e for e in errors_of(remote))


def test_local_image_in_question_ships_as_media(make_project: MakeProject) -> None:
    root = make_project({"cards/more/ok.md": card("答。", "看 ![x](../../assets/dot.png)？")})
    report = gather(load_config(root)).report
    assert report.errors() == []
    rendered = next(r for r in report.rendered if r.card.id == "hostile")
    (name, path), *_ = rendered.media
    assert f'src="{name}"' in rendered.question_html and path.name == "dot.png"


@pytest.mark.parametrize("char", ["\x1f", "\x00", "\x08", "\x7f"])
def test_control_characters_are_errors_at_their_line(char: str) -> None:
    data = f"## 问\n<!-- id: a -->\n\n答{char}案\n".encode()
    _, problems = parse_bytes(data, "x.md", "s")
    assert [(p.location.line, p.message) for p in problems] == [
        (4, f"control character U+{ord(char):04X} is not allowed")
    ]


def test_control_characters_and_tex_in_retired_notices_are_errors(make_project: MakeProject) -> None:
    entry = {"version": "1.0.0", "subdeck": "more", "question": "旧题\x1f", "reason": "$\\href{javascript:x}{y}$"}
    retired = json.dumps({"format": 1, "retired": {"old": entry}})
    found = errors_of(make_project({"cards/retired.json": retired}))
    assert "cards/retired.json: error: retired entry 'old': question holds control character U+001F" in found
    assert any("retired entry 'old': reason: '\\href' is not allowed in math" in e for e in found)


def test_assets_folder_that_is_a_symlink_is_refused(make_project: MakeProject, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "dot.png").write_bytes(PNG_1X1)
    root = make_project({"cards/more/img.md": card("![x](../../assets/dot.png)")}, base=True)
    (root / "assets" / "dot.png").unlink()
    (root / "assets").rmdir()
    (root / "assets").symlink_to(outside, target_is_directory=True)
    found = errors_of(root)
    assert any("img.md:4: error: 'assets/' is a symlink" in e for e in found), found


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("page.html", b"<script>alert(1)</script>", "is not an image: use PNG, JPEG, GIF, WebP or SVG"),
        ("fake.png", b"<html><script>alert(1)</script>", "is not a PNG image by its content"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script> element"),
        ("y.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler"),
        (
            "z.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<a x:href="https://e.example"><text>x</text></a></svg>',
            "external reference",
        ),
    ],
)
def test_media_must_be_images_by_content(make_project: MakeProject, name: str, data: bytes, message: str) -> None:
    root = make_project({"cards/more/img.md": card(f"![x](../../assets/{name})"), f"assets/{name}": data})
    found = [e for e in errors_of(root) if "img.md" in e]
    assert any(e.startswith("cards/more/img.md:4: error: ") and message in e for e in found), found


def test_a_plain_svg_is_an_image(make_project: MakeProject) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'
    root = make_project({"cards/more/img.md": card("![x](../../assets/ok.svg)"), "assets/ok.svg": svg})
    assert errors_of(root) == []


@pytest.mark.parametrize(
    "line",
    [
        "`" * 100_000,
        "## 问题" + " " * 100_000 + "x",
        "\\" * 100_000,
        "`a` " * 30_000,
    ],
)
def test_pathological_lines_are_refused_quickly(line: str) -> None:
    data = f"## 问\n<!-- id: a -->\n\n{line}\n".encode()
    started = time.process_time()
    _, problems = parse_bytes(data, "x.md", "s")
    assert [(p.location.line, p.message.split(";")[0]) for p in problems] == [(4, f"line is {len(line)} characters")]
    assert time.process_time() - started < 5  # a generous bound: quadratic scanning took minutes


def test_deeply_nested_quotes_are_refused() -> None:
    text = "## 问\n<!-- id: a -->\n\n" + "".join("> " * depth + "x\n" for depth in range(1, 40))
    _, problems = parse_bytes(text.encode(), "x.md", "s")
    assert problems and problems[0].location.line == 4 + 16
    assert problems[0].message == "more than 16 nested quote or list levels"


def test_sanitizer_has_nothing_left_to_remove_on_a_checked_field() -> None:
    """nh3 is the last guard: on HTML that passed the check it changes no element or attribute."""
    html = (
        '<p>文字 <span class="arithmatex">\\(x\\)</span> <a href="https://example.org">链接</a></p>\n'
        '<div class="highlight"><pre><span></span><code><span class="k">def</span></code></pre></div>\n'
        '<details class="fold"><summary>详解</summary>\n<p>更多</p>\n</details>'
    )
    assert unsafe_html(html, frozenset()) == []
    assert sanitize(html) == html


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_workers_die_with_a_killed_build(make_project: MakeProject, tmp_path: Path) -> None:
    """kill -9 of the build runs no clean-up; its render workers must still go away."""
    body = "".join(f"## 问题 {i}\n<!-- id: big-{i} -->\n\n答案 $a_{i}$\n\n" for i in range(6000))
    root = make_project({"cards/more/big.md": body})
    env = {**os.environ, "DECKBUILDER_WORKERS": "3"}  # the build and two workers
    command = [
        sys.executable,
        "-m",
        "deckbuilder",
        "build",
        "--no-cache",
        "--project",
        str(root),
        "--out",
        str(tmp_path),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        workers = [
            c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text("utf-8", "replace")
        ]
        time.sleep(0.05)
    assert workers, "the build never started its workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and "spawn_main" in _cmdline(w)]
    assert alive == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text("utf-8", "replace")
    except OSError:
        return ""


def test_the_cleaner_reports_anything_the_check_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the check ever misses something, nh3 removes it and the build fails instead of shipping."""
    from deckbuilder.render import renderer as render
    from deckbuilder.source.parse import split_cards

    monkeypatch.setattr(render, "unsafe_html", lambda fragment, media=None: [])  # a check with a gap
    (hostile,), _ = split_cards(card("<b onclick=alert(1)>x</b>"), "x.md", "s")
    rendered, problems = render.Renderer(render.RenderContext(Path("."))).render(hostile)
    assert [p.message for p in problems] == ["the HTML cleaner had to remove something the check let through"]
    assert "onclick" not in rendered.answer_html


def test_a_card_over_the_size_limit_is_an_error_and_not_rendered() -> None:
    body = "\n".join(["[a](" * 900] * 3)  # a paragraph Markdown's link pattern is quadratic on
    data = f"## 问\n<!-- id: a -->\n\n{body}\n".encode()
    cards, problems = parse_bytes(data, "x.md", "s")
    assert cards == ()
    size = len("问") + len("\n") + 3 * (len("[a](") * 900 + len("\n"))  # heading, blank line, three lines
    assert [(p.location.line, p.message) for p in problems] == [
        (1, f"card is {size} characters; the limit is 8000 (one card, one retrieval: split it)")
    ]


PLAIN_OR_NOT = [
    '<p>文字 <span class="arithmatex">\\(x\\)</span> 与 <strong>要点</strong></p>',
    "<p>\\(\\hr<b></b>ef{javascript:alert(1)}{x}\\)</p>",
    "<p><code>\\href{x}{y}</code>\\href{javascript:1}{z}</p>",
    '<div class="highlight"><pre><span></span><code><span class="line">\\href{a}{b}\n</span></code></pre></div>\\(x\\)',
    "<code/>\\href{a}{b}",
    "</code>\\href{a}{b}",
    "<code><code>a</code>\\href{a}{b}</code>\\bbox{c}",
    '<span class="nightMode">x</span>',
    '<span class="k nightMode">x</span>',
    '<span class="">x</span>',
    "<p>&#92;href{javascript:alert(1)}{x} &bsol;style{a}{b}</p>",
    '<p>a &lt; b class="card" &amp; \\(\\frac{1}{2}\\)</p>',
    "<p>x</p><!-- \\href{a}{b} -->",
    "<P>\\class{card}{x}</P>",
    "<br/><br /><hr>\\cssId{a}{b}",
    '<details class="fold"><summary>详解</summary>\n<p>\\(\\rule{500em}{1em}\\)</p>\n</details>',
    "<b>\\</b>href{x}{y}",
    '<td style="text-align: left;">x</td>',
    '<a href="https://example.org">x</a>',
    "<p>a < b \\href{x}{y}</p>",
    '<span class="k"onclick="x">y</span>',
    "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>\\(x\\)</td></tr></tbody></table>",
]


def test_the_parser_free_path_finds_what_the_parser_finds() -> None:
    """unsafe_html skips the HTML parser on plain fragments: it must report exactly what the parser
    reports, on tricky fragments and on every golden file."""
    from deckbuilder.render.sanitize import _plain_text, parsed_findings

    golden = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/golden").glob("*.html"))]
    fragments = PLAIN_OR_NOT + golden
    for fragment in fragments:
        assert unsafe_html(fragment, frozenset()) == parsed_findings(fragment, frozenset()), fragment
    plain = [f for f in fragments if _plain_text(f) is not None]
    assert len(plain) >= 12 and any(parsed_findings(f) for f in plain)  # the fast path ran, and found things
