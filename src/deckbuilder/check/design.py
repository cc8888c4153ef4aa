"""Card-design checks for daily review (docs/card-style.md): a short recall part, one question
per prompt, no references to other cards, phone-wide code, one home per fact, honest clozes.

They read the card sources, so `check`, `stats` and `coverage` need no rendering. Findings in a
subdeck that deck.toml enforces are warnings (fatal under --strict); elsewhere they are notes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..config import DesignLimits
from ..model import Card, CardType, Diagnostic, Location, Severity, Span
from ..source.spans import blank, bodies, card_spans, find_spans
from .duplicates import sample, similar_pairs

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
WORD = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")
CODE_WORD = re.compile(r"[A-Za-z0-9_]+")
MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|<[^>]*>|\{\{c\d+::|\}\}")
QUESTION_MARK = re.compile(r"[?？]")
CROSS_REFERENCE = re.compile(
    r"[上下前后]一张|[上下前后]一题|见[上下]文?|如上[一张所题]|上面那张|下面那张|另一张卡|其他卡片?"
)


@dataclass(frozen=True)
class Segments:
    """A Markdown field split into prose, formulas (TeX) and code."""

    prose: str
    formulas: tuple[str, ...]
    code: tuple[str, ...]


def segments(markdown: str, spans: tuple[Span, ...] | None = None) -> Segments:
    """A field's prose, formulas and code, from its recorded spans (found here if not given)."""
    spans = find_spans(markdown) if spans is None else spans
    return Segments(
        blank(markdown, spans), tuple(bodies(markdown, spans, "math")), tuple(bodies(markdown, spans, "code"))
    )


def prose_units(text: str) -> int:
    text = MARKUP.sub(" ", text)
    return len(CJK.findall(text)) + len(WORD.findall(text))


def recall_units(markdown: str, spans: tuple[Span, ...] | None = None) -> int:
    """A CJK character or a Latin word is one unit; a formula one per 4 TeX characters."""
    parts = segments(markdown, spans)
    units = prose_units(parts.prose)
    units += sum(max(1, math.ceil(len("".join(tex.split())) / 4)) for tex in parts.formulas)
    units += sum(len(CODE_WORD.findall(block)) for block in parts.code)
    return units


def recall_text(card: Card) -> str:
    """What shows on the back without opening the fold (the question aside)."""
    if card.card_type is CardType.CLOZE:
        return "\n\n".join(part for part in (card.answer, card.back_extra) if part)
    return card.answer


def card_recall_units(card: Card) -> int:
    """Recall units of what shows before the fold."""
    fields = [(card.answer, 1)] + ([(card.back_extra, 2)] if card.card_type is CardType.CLOZE else [])
    spans = card_spans(card)
    return sum(recall_units(text, spans[index]) for text, index in fields if text)


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line.expandtabs(4))


@dataclass(frozen=True)
class Finding:
    card: Card
    line: int
    kind: str  # units, questions, reference, code, cloze, duplicate
    message: str


def card_findings(card: Card, limits: DesignLimits) -> Iterator[Finding]:
    units = card_recall_units(card)
    if units > limits.recall_units:
        yield Finding(
            card,
            card.answer_line or card.location.line,
            "units",
            f"recall part is {units} units (limit {limits.recall_units}): move depth below '<!-- fold -->' "
            "or split the card",
        )
    spans = card_spans(card)
    asked = len(QUESTION_MARK.findall(segments(card.question, spans[0]).prose))
    if asked > 1:
        yield Finding(
            card, card.location.line, "questions", f"the prompt asks {asked} questions: one question per card"
        )
    for text, first, index in _fields(card):
        for offset, line in enumerate(blank(text, spans[index]).split("\n")):
            if m := CROSS_REFERENCE.search(line):
                yield Finding(
                    card,
                    first + offset,
                    "reference",
                    f"'{m.group(0)}' refers to another card; Anki shuffles cards: say it here",
                )
    for block in card.shown_code():
        for offset, line in enumerate(block.source.split("\n")):
            if (width := columns(line)) > limits.code_columns:
                yield Finding(
                    card,
                    block.location.line + 1 + offset,
                    "code",
                    f"shown code line is {width} columns (a phone fits {limits.code_columns}): "
                    "shorten it or move the code below the fold",
                )
    if card.card_type is CardType.CLOZE:
        yield from _cloze_giveaways(card)


def _fields(card: Card) -> Iterator[tuple[str, int, int]]:
    """Each non-empty field with its first line and its index in `card.spans`."""
    fields = (
        (card.question, card.location.line),
        (card.answer, card.answer_line),
        (card.back_extra, card.back_extra_line),
        (card.fold, card.fold_line),
    )
    for index, (text, line) in enumerate(fields):
        if text:
            yield text, line, index


CLOZE = re.compile(r"\{\{c(\d+)::")


def deletions(text: str) -> list[tuple[int, int, int, str]]:
    """(number, start, end, hidden text) of every `{{cN::…}}`, a hint after `::` left out."""
    found: list[tuple[int, int, int, str]] = []
    position = 0
    for m in CLOZE.finditer(text):
        if m.start() < position:
            continue
        close = text.find("}}", m.end())
        if close < 0:
            break
        found.append((int(m.group(1)), m.start(), close + 2, text[m.end() : close].split("::")[0]))
        position = close + 2
    return found


def _compact(text: str) -> str:
    return "".join(text.split())


def _cloze_giveaways(card: Card) -> Iterator[Finding]:
    found = deletions(card.answer)
    for number in sorted({n for n, *_ in found}):
        visible: list[str] = [card.question]
        position = 0
        for n, start, end, hidden in found:
            visible.append(card.answer[position:start])
            if n != number:
                visible.append(hidden)
            position = end
        visible.append(card.answer[position:])
        shown = _compact(" ".join(visible))
        for n, start, _end, hidden in found:
            if n == number and len(_compact(hidden)) >= 2 and _compact(hidden) in shown:
                line = card.answer_line + card.answer.count("\n", 0, start)
                yield Finding(card, line, "cloze", f"c{n} hides '{hidden.strip()}', which the card shows elsewhere")
                break


@dataclass(frozen=True, slots=True)
class CardDesign:
    """What a card's design checks find on the card alone, and the sample of its recall part that
    the near-duplicate search (across cards) starts from."""

    findings: tuple[Diagnostic, ...]
    sample: str


def card_design(card: Card, limits: DesignLimits) -> CardDesign:
    """One card's findings: everything but duplicates (they need the other cards)."""
    if card.retired_in:
        return CardDesign((), "")
    return CardDesign(tuple(diagnostic(f, limits) for f in card_findings(card, limits)), sample(_compared(card)))


def _compared(card: Card) -> str:
    """The text two cards are compared on: the recall part, Markdown markup aside."""
    return MARKUP.sub(" ", recall_text(card))


def near_duplicates(
    cards: Sequence[Card], threshold: float, samples: Sequence[str] | None = None
) -> Iterator[tuple[Card, Card, float]]:
    """Pairs of cards whose recall parts nearly repeat each other (`samples`: each card's
    `CardDesign.sample`, made here if not given)."""
    if samples is None:
        samples = [sample(_compared(card)) for card in cards]
    for first, second, similarity in similar_pairs(samples, lambda i: _compared(cards[i]), threshold):
        yield cards[first], cards[second], similarity


def duplicate_design(cards: Sequence[Card], designs: Sequence[CardDesign], limits: DesignLimits) -> list[Diagnostic]:
    """The near-duplicate findings of live cards, from their `card_design`."""
    live = [(card, design.sample) for card, design in zip(cards, designs, strict=True) if not card.retired_in]
    return [
        diagnostic(
            Finding(
                second,
                second.answer_line or second.location.line,
                "duplicate",
                f"recall part nearly repeats '{first.id}' at {first.location} ({similarity:.0%} alike): "
                "one fact, one home",
            ),
            limits,
        )
        for first, second, similarity in near_duplicates(
            [card for card, _ in live], limits.near_duplicate, [s for _, s in live]
        )
    ]


def design_findings(cards: Iterable[Card], limits: DesignLimits) -> list[Diagnostic]:
    """Every design finding of these cards (a build gets the same from its two stages)."""
    cards = list(cards)
    designs = [card_design(card, limits) for card in cards]
    return [d for design in designs for d in design.findings] + duplicate_design(cards, designs, limits)


def diagnostic(f: Finding, limits: DesignLimits) -> Diagnostic:
    severity = Severity.WARNING if f.card.subdeck in limits.enforce else Severity.NOTE
    return Diagnostic(Location(f.card.location.path, f.line), severity, f"design: {f.message}")
