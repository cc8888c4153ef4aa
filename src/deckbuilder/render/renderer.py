"""Markdown fields to Anki HTML: math for MathJax, code for Pygments classes, media renamed."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import markdown

from ..config import DesignLimits
from ..model import Card, CardType, Diagnostic, Location, RenderedCard, did_you_mean, error
from ..source.spans import card_spans
from .cloze import CLOZE_START
from .dialect import CardDialect
from .fieldcheck import check_code_languages, check_math, locate
from .media import assets_problem, image_problem
from .safetynet import leftovers, source_problems
from .sanitize import clean_field, unsafe_html

RENDERER_VERSION = "1"


EXTENSIONS = [
    "tables",
    "sane_lists",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.arithmatex",
]


EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "pymdownx.highlight": {
        "use_pygments": True,
        "css_class": "highlight",
        "guess_lang": False,
    },
    "pymdownx.arithmatex": {"generic": True},
}
# Private-use characters stand in for cloze markers while Markdown and Pygments run, so that
# neither can split or escape them.
IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)


@dataclass(frozen=True)
class RenderContext:
    """What the per-card work needs besides the card."""

    root: Path
    assets_dir: str = "assets"
    design: DesignLimits = field(default_factory=DesignLimits)


class Renderer:
    """One Markdown converter, reset for every field (it keeps state between calls)."""

    def __init__(self, context: RenderContext) -> None:
        self.context = context
        self.dialect = CardDialect()
        self.md = markdown.Markdown(extensions=[*EXTENSIONS, self.dialect], extension_configs=EXTENSION_CONFIGS)

    def convert(self, text: str, cloze: bool = False, where: Location | None = None) -> tuple[str, list[Diagnostic]]:
        """One field to HTML; cloze markers are kept whole when `cloze` (problems at `where`)."""
        self.md.reset()
        self.dialect.cloze, self.dialect.where = cloze, where or Location("", 0)
        html_text: str = self.md.convert(text)
        if "<pre>" in html_text:
            html_text = wrap_code_lines(html_text)
        return html_text, self.dialect.problems

    def render(self, card: Card) -> tuple[RenderedCard, list[Diagnostic]]:
        problems: list[Diagnostic] = []
        problems += check_code_languages(card)
        cloze = card.card_type is CardType.CLOZE
        fields: list[str] = []
        sources = (
            (card.question, card.location.line),
            (card.answer, card.answer_line),
            (card.back_extra, card.back_extra_line),
            (card.fold, card.fold_line),
        )
        for (text, line), spans in zip(sources, card_spans(card), strict=True):
            where = Location(card.location.path, line)
            rendered, found = self.convert(text, cloze, where) if text.strip() else ("", [])
            problems += found + check_math(rendered, text, where)
            for needle, message in source_problems(text, spans):
                problems.append(error(Location(where.path, locate([(text, line)], needle)), message))
            fields.append(rendered)
        question = fields[0]
        if m := PARAGRAPH.match(question):
            question = m.group(1)
        fields[0] = question
        fold_index = 2 if cloze else 1
        origins: list[list[tuple[str, int]]] = [[sources[0]], [sources[1]], [sources[2]]]
        if card.fold:
            fields[fold_index] = join_fold(fields[fold_index], fields[3], card.fold_label)
            origins[fold_index].append(sources[3])
        media: dict[str, Path] = {}
        refused: set[str] = set()
        shipped: list[str] = []
        for fragment, origin in zip(fields[:3], origins, strict=True):
            fragment, found = self.rewrite_images(fragment, card, origin, media, refused)
            problems += found
            shipped.append(fragment)
        # The HTML that ships, checked whole: tags, attributes, URLs as a browser reads them,
        # images, classes and TeX that MathJax would find. nh3 then cleans it as a last guard.
        names = frozenset(media) | refused
        for fragment, origin in zip(shipped, origins, strict=True):
            for needle, message in leftovers(fragment, card.checks) if fragment else ():
                problems.append(error(Location(card.location.path, locate(origin, needle)), message))
            seen: dict[str, int] = {}
            for needle, message in unsafe_html(fragment, names):
                nth = seen[needle] = seen.get(needle, -1) + 1
                problems.append(error(Location(card.location.path, locate(origin, needle, nth)), message))
        cleaned: list[str] = []
        for fragment in shipped:
            result, changed = clean_field(fragment)
            if changed and not problems:  # with errors the build stops anyway
                problems.append(error(card.location, "the HTML cleaner had to remove something the check let through"))
            cleaned.append(result)
        question, answer, back = cleaned
        if cloze and not CLOZE_START.search(card.question + card.answer):
            problems.append(error(card.location, "cloze card has no '{{c1::...}}' deletion"))
        if not cloze and CLOZE_START.search(card.question + card.answer):
            problems.append(error(card.location, "'{{c1::' in a basic card: add 'type: cloze' to its metadata"))
        return (
            RenderedCard(card, question, answer, back, tuple(sorted(media.items()))),
            problems,
        )

    def rewrite_images(
        self, rendered: str, card: Card, origin: list[tuple[str, int]], media: dict[str, Path], refused: set[str]
    ) -> tuple[str, list[Diagnostic]]:
        """Point images at their packaged names (added to `media`); srcs reported go to `refused`."""
        if "<img" not in rendered.lower():  # most fields: skip resolving the assets folder
            return rendered, []
        problems: list[Diagnostic] = []
        source_dir = (self.context.root / card.location.path).parent
        assets = (self.context.root / self.context.assets_dir).resolve()
        folder_problem = assets_problem(self.context.root, self.context.assets_dir)

        def replace(m: re.Match[str]) -> str:
            src = html.unescape(m.group(2).strip("\"'"))
            where = Location(card.location.path, locate(origin, src))
            target = (source_dir / src).resolve()
            if not target.exists() and (source_dir / unquote(src)).exists():
                target = (source_dir / unquote(src)).resolve()  # GitHub writes a space in a file name as %20
            data = target.read_bytes() if target.is_file() and target.is_relative_to(assets) else b""
            if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/"):
                problem = f"image {src!r} must be a relative path to a file under assets/"
            elif folder_problem:
                problem = folder_problem
            elif not target.is_relative_to(assets):
                problem = f"image {src!r} is outside the project's assets/ folder"
            elif not target.is_file():
                names = sorted(p.name for p in assets.glob("*") if p.is_file()) if assets.is_dir() else []
                problem = f"image {src!r} not found{did_you_mean(Path(src).name, names)}"
            elif found := image_problem(target, data):
                problem = f"image {src!r} {found}"
            else:
                name = f"{target.stem}-{hashlib.sha256(data).hexdigest()[:12]}{target.suffix.lower()}"
                media[name] = target
                return m.group(1) + '"' + html.escape(name) + '"'
            problems.append(error(where, problem))
            refused.add(html.unescape(m.group(2).strip("\"'")))  # reported once: kept as written
            return m.group(0)

        return IMG_SRC.sub(replace, rendered), problems


CODE_BODY = re.compile(r"(<pre><span></span><code>)(.*?)(</code></pre>)", re.S)


def wrap_code_lines(html_text: str) -> str:
    """Each line of highlighted code in its own block, so that a line too long for a phone wraps
    with a hanging indent and a continuation mark (the note CSS) instead of scrolling sideways.
    Pygments closes every token span at the end of its line, so lines split cleanly."""

    def wrap(m: re.Match[str]) -> str:
        lines = m.group(2).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return m.group(1) + "".join(f'<span class="line">{line}\n</span>' for line in lines) + m.group(3)

    return CODE_BODY.sub(wrap, html_text)


FOLD_LABEL = "详解"


def join_fold(recall: str, fold: str, label: str) -> str:
    """The recall part, then the fold: a `<details>` element, closed until the learner opens it."""
    summary = html.escape(label or FOLD_LABEL)
    return f'{recall}\n<details class="fold"><summary>{summary}</summary>\n{fold}\n</details>'.lstrip("\n")
