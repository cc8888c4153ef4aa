"""The syllabus: canonical interview questions with stable ids, and coverage against cards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..model import Card, Diagnostic, Location, error


@dataclass(frozen=True)
class Question:
    id: str
    subdeck: str
    question: str


def load_syllabus(path: Path, relpath: str) -> tuple[dict[str, Question], list[Diagnostic]]:
    where = Location(relpath, 0)
    if not path.exists():
        return {}, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return {}, [error(where, f"cannot read syllabus: {exc}")]
    raw = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return {}, [error(where, "syllabus needs a 'questions' list")]
    questions: dict[str, Question] = {}
    for item in raw:
        if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("id", "subdeck", "question")):
            questions[item["id"]] = Question(item["id"], item["subdeck"], item["question"])
        else:
            return {}, [error(where, f"syllabus entry {item!r} needs 'id', 'subdeck' and 'question'")]
    return questions, []


def cards_per_question(questions: dict[str, Question], cards: list[Card]) -> dict[str, int]:
    counts = dict.fromkeys(questions, 0)
    for card in cards:
        for q in card.syllabus:
            if q in counts:
                counts[q] += 1
    return counts
