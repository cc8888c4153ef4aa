"""Records passed between pipeline stages."""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # advice that never fails a build, even with --strict


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a source file; `path` is relative to the project root when possible."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Diagnostic:
    location: Location
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message}"


def error(location: Location, message: str) -> Diagnostic:
    return Diagnostic(location, Severity.ERROR, message)


def warning(location: Location, message: str) -> Diagnostic:
    return Diagnostic(location, Severity.WARNING, message)


def did_you_mean(name: str, known: list[str], quote: str = "'") -> str:
    """ "; did you mean 'x'?" for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {quote}{close[0]}{quote}?" if close else ""


class CardType(enum.Enum):
    BASIC = "basic"
    CLOZE = "cloze"


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced code block of a card; `check` blocks are hidden from the learner."""

    language: str
    source: str
    location: Location
    is_check: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    kind: str  # "fence", "code" (inline) or "math"
    start: int  # offsets in the field's text: the whole span, delimiters included
    end: int
    body_start: int  # the content, without delimiters
    body_end: int
    line: int  # the line (0-based, within the field) where the span starts


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    subdeck: str
    card_type: CardType
    question: str
    answer: str
    back_extra: str
    syllabus: tuple[str, ...]
    tags: tuple[str, ...]
    location: Location
    answer_line: int
    back_extra_line: int = 0
    code_blocks: tuple[CodeBlock, ...] = ()
    retired_in: str = ""  # the version that removed it: shipped only as a "removed" notice
    fold: str = ""  # depth below the fold (closed <details>): after the answer, or the back extra of a cloze
    fold_line: int = 0
    fold_label: str = ""
    # where code and math stand in question, answer, back extra and fold: found by the per-card
    # work (source/spans.with_spans), not kept on every parsed card
    spans: tuple[tuple[Span, ...], ...] = ()

    @property
    def recall(self) -> str:
        """What the learner grades: the answer (a cloze's text) without the fold."""
        return self.answer

    def shown_code(self) -> tuple[CodeBlock, ...]:
        """Code blocks outside the fold that the learner sees."""
        limit = self.fold_line or (1 << 30)
        recall_end = self.back_extra_line if self.card_type is CardType.CLOZE and self.back_extra_line else limit
        return tuple(b for b in self.code_blocks if not b.is_check and b.location.line < min(limit, recall_end))

    @property
    def python_blocks(self) -> tuple[CodeBlock, ...]:
        return tuple(b for b in self.code_blocks if b.language == "python" and not b.is_check)

    @property
    def checks(self) -> tuple[CodeBlock, ...]:
        return tuple(b for b in self.code_blocks if b.is_check)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed Markdown file."""

    path: Path
    relpath: str
    subdeck: str
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class RenderedCard:
    card: Card
    question_html: str
    answer_html: str
    back_extra_html: str
    media: tuple[tuple[str, Path], ...] = ()  # (name in the package, file on disk)


@dataclass
class Report:
    """Everything a check or build found: cards gathered and problems."""

    cards: list[Card] = field(default_factory=list)
    rendered: list[RenderedCard] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    up_to_date: bool = False  # a build skipped because no input changed since a clean one
    shown: list[str] = field(default_factory=list)  # that build's warnings, to show again

    def errors(self, strict: bool = False) -> list[Diagnostic]:
        fatal = (Severity.ERROR, Severity.WARNING) if strict else (Severity.ERROR,)
        return [d for d in self.diagnostics if d.severity in fatal]
