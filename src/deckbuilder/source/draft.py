"""A card while the splitter collects its lines, and the Card it becomes once complete.

The splitter only notes where `<!-- back -->` and `<!-- fold -->` stand; cutting the body at them
and the checks that need the whole card (empty question or answer, missing id, size) happen here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..fsutil import split_lines
from ..model import Card, CardType, CodeBlock, Diagnostic, Location, error
from .decode import MAX_CARD_CHARS
from .metadata import Metadata


@dataclass
class Draft:
    """A card while its lines are being collected."""

    heading: str
    line: int
    meta: Metadata = field(default_factory=Metadata)
    has_meta: bool = False
    body: list[str] = field(default_factory=list)
    body_start: int = 0
    back_index: int = -1
    fold_index: int = -1
    fold_label: str = ""
    code: list[CodeBlock] = field(default_factory=list)


def to_card(draft: Draft, path: str, subdeck: str, file_tags: tuple[str, ...]) -> tuple[Card | None, list[Diagnostic]]:
    """The finished card (None when it is too long to render) and its problems."""
    where = Location(path, draft.line)
    problems: list[Diagnostic] = []
    if not draft.heading:
        problems.append(error(where, "empty question: the '## ' heading has no text"))
    if not draft.has_meta:
        problems.append(error(where, "card has no metadata comment '<!-- id: ... -->' on the line after its heading"))
    elif not draft.meta.id:
        problems.append(error(where, "card has no id (run 'deckbuilder ids' to assign one)"))
    body, back, fold, fold_start = _cut(draft, path, problems)
    answer = "".join(body).strip("\n")
    back_text, fold_text = "".join(back).strip("\n"), "".join(fold).strip("\n")
    if not answer.strip() and draft.meta.card_type is CardType.BASIC:
        problems.append(error(where, "empty answer"))
    leading = _leading_blank_lines(body) if answer else 0
    size = sum(len(line) for line in draft.body) + len(draft.heading)
    if size > MAX_CARD_CHARS:  # Markdown's inline patterns are quadratic on some long paragraphs
        message = f"card is {size} characters; the limit is {MAX_CARD_CHARS} (one card, one retrieval: split it)"
        return None, [*problems, error(where, message)]
    card = Card(
        id=draft.meta.id,
        subdeck=subdeck,
        card_type=draft.meta.card_type,
        question=draft.heading,
        answer=answer,
        back_extra=back_text,
        syllabus=draft.meta.syllabus,
        tags=tuple(dict.fromkeys(file_tags + draft.meta.tags)),
        location=where,
        answer_line=draft.body_start + leading,
        back_extra_line=draft.body_start + draft.back_index + 1 if draft.back_index >= 0 else 0,
        code_blocks=tuple(draft.code),
        fold=fold_text,
        fold_line=draft.body_start + fold_start + _leading_blank_lines(fold) if "".join(fold).strip() else 0,
        fold_label=draft.fold_label,
    )
    return card, problems


def _cut(draft: Draft, path: str, problems: list[Diagnostic]) -> tuple[list[str], list[str], list[str], int]:
    """The body cut at the markers: (front, cloze back, fold, the fold's first body index)."""
    cloze = draft.meta.card_type is CardType.CLOZE
    body = draft.body
    back: list[str] = []
    fold: list[str] = []
    fold_start = 0
    if draft.back_index >= 0:
        body, back = draft.body[: draft.back_index], draft.body[draft.back_index + 1 :]
        if not cloze:
            marker = Location(path, draft.body_start + draft.back_index)
            problems.append(error(marker, "'<!-- back -->' is only for cloze cards"))
    if draft.fold_index >= 0:
        fold_start = draft.fold_index + 1
        fold_marker = Location(path, draft.body_start + draft.fold_index)
        misplaced = cloze and not 0 <= draft.back_index < draft.fold_index
        if misplaced:
            message = "in a cloze card '<!-- fold -->' goes after '<!-- back -->' (the text shows on both sides)"
            problems.append(error(fold_marker, message))
        elif draft.back_index >= 0 and draft.fold_index > draft.back_index:
            split = draft.fold_index - draft.back_index - 1
            back, fold = back[:split], back[split + 1 :]
        else:
            body, fold = body[: draft.fold_index], body[draft.fold_index + 1 :]
        if not misplaced and not "".join(fold).strip():
            problems.append(error(fold_marker, "nothing below '<!-- fold -->': remove the marker"))
    return body, back, fold, fold_start


def _leading_blank_lines(lines: list[str]) -> int:
    text = "".join(lines)
    return len(lines) - len(split_lines(text.lstrip("\n")))
