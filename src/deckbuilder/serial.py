"""Cards and diagnostics as JSON and back, for the cache: plain data that cannot run code.

Reading refuses anything of the wrong shape (a damaged or planted entry is a cache miss).
"""

from __future__ import annotations

from typing import Any

from .model import Card, CardType, CodeBlock, Diagnostic, Location, Severity

CARD_TEXT = ("id", "subdeck", "question", "answer", "back_extra", "retired_in", "fold", "fold_label")
CARD_LINES = ("answer_line", "back_extra_line", "fold_line")


class Malformed(ValueError):
    """A stored value that is not what this module writes."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed("expected text")
    return value


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed("expected a line number")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Malformed("expected a list")
    return tuple(_text(v) for v in value)


def location_json(location: Location) -> list[Any]:
    return [location.path, location.line]


def location_from(value: Any) -> Location:
    if not isinstance(value, list) or len(value) != 2:
        raise Malformed("expected a location")
    return Location(_text(value[0]), _number(value[1]))


def card_json(card: Card) -> dict[str, Any]:
    return {
        **{name: getattr(card, name) for name in CARD_TEXT + CARD_LINES},
        "card_type": card.card_type.value,
        "syllabus": list(card.syllabus),
        "tags": list(card.tags),
        "location": location_json(card.location),
        "code": [[b.language, b.source, location_json(b.location), b.is_check] for b in card.code_blocks],
    }


def card_from(value: Any) -> Card:
    if not isinstance(value, dict):
        raise Malformed("expected a card")
    code = value.get("code")
    if not isinstance(code, list) or not all(isinstance(b, list) and len(b) == 4 for b in code):
        raise Malformed("expected code blocks")
    blocks = []
    for language, source, where, is_check in code:
        if not isinstance(is_check, bool):
            raise Malformed("expected a flag")
        blocks.append(CodeBlock(_text(language), _text(source), location_from(where), is_check))
    try:
        card_type = CardType(value.get("card_type"))
    except ValueError:
        raise Malformed("expected a card type") from None
    texts = {name: _text(value.get(name)) for name in CARD_TEXT}
    lines = {name: _number(value.get(name)) for name in CARD_LINES}
    return Card(
        id=texts["id"],
        subdeck=texts["subdeck"],
        question=texts["question"],
        answer=texts["answer"],
        back_extra=texts["back_extra"],
        retired_in=texts["retired_in"],
        fold=texts["fold"],
        fold_label=texts["fold_label"],
        answer_line=lines["answer_line"],
        back_extra_line=lines["back_extra_line"],
        fold_line=lines["fold_line"],
        card_type=card_type,
        syllabus=_texts(value.get("syllabus")),
        tags=_texts(value.get("tags")),
        location=location_from(value.get("location")),
        code_blocks=tuple(blocks),
    )


def diagnostic_json(diagnostic: Diagnostic) -> list[Any]:
    return [location_json(diagnostic.location), diagnostic.severity.value, diagnostic.message]


def diagnostic_from(value: Any) -> Diagnostic:
    if not isinstance(value, list) or len(value) != 3:
        raise Malformed("expected a diagnostic")
    try:
        severity = Severity(value[1])
    except ValueError:
        raise Malformed("expected a severity") from None
    return Diagnostic(location_from(value[0]), severity, _text(value[2]))
