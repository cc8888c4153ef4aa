"""Checks across all cards; each returns problems as data."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Card, Diagnostic, error
from .syllabus import Question


def check_duplicate_ids(cards: Iterable[Card]) -> list[Diagnostic]:
    first: dict[str, Card] = {}
    problems: list[Diagnostic] = []
    for card in cards:
        if not card.id:
            continue
        if card.id in first:
            problems.append(
                error(card.location, f"duplicate card id '{card.id}' (first used at {first[card.id].location})")
            )
        else:
            first[card.id] = card
    return problems


def check_syllabus_ids(cards: Iterable[Card], questions: dict[str, Question]) -> list[Diagnostic]:
    if not questions:
        return []
    return [
        error(card.location, f"syllabus id '{q}' is not in the syllabus")
        for card in cards
        for q in card.syllabus
        if q not in questions
    ]


def validate(cards: list[Card], questions: dict[str, Question]) -> list[Diagnostic]:
    return check_duplicate_ids(cards) + check_syllabus_ids(cards, questions)
