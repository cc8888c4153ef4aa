"""Per-subdeck figures of the card-design check: what a content rework is measured against."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from ..config import DeckConfig
from ..model import Card, CardType
from .design import card_findings, card_recall_units, near_duplicates


@dataclass(frozen=True)
class SubdeckStats:
    subdeck: str
    notes: int
    basic: int
    cloze: int
    median_units: float
    p90_units: float
    max_units: int
    over_limit: int
    within_limit_share: float  # of basic cards
    multi_question: int
    cross_reference: int
    wide_code: int
    cloze_giveaways: int
    near_duplicates: int
    enforced: bool


def percentile(values: list[int], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return float(ordered[int(rank) - 1])


def subdeck_stats(config: DeckConfig, cards: Iterable[Card]) -> list[SubdeckStats]:
    limits = config.design
    live = [card for card in cards if not card.retired_in]
    pairs = list(near_duplicates(live, limits.near_duplicate))
    rows: list[SubdeckStats] = []
    for subdeck in config.subdecks:
        mine = [card for card in live if card.subdeck == subdeck.id]
        basic_units = [card_recall_units(c) for c in mine if c.card_type is CardType.BASIC]
        units = [card_recall_units(c) for c in mine]
        kinds = [f.kind for f in {(f.kind, f.card.id): f for c in mine for f in card_findings(c, limits)}.values()]

        rows.append(
            SubdeckStats(
                subdeck=subdeck.id,
                notes=len(mine),
                basic=len(basic_units),
                cloze=len(mine) - len(basic_units),
                median_units=float(statistics.median(units)) if units else 0.0,
                p90_units=percentile(units, 0.9),
                max_units=max(units, default=0),
                over_limit=sum(u > limits.recall_units for u in units),
                within_limit_share=(
                    sum(u <= limits.recall_units for u in basic_units) / len(basic_units) if basic_units else 1.0
                ),
                multi_question=kinds.count("questions"),
                cross_reference=kinds.count("reference"),
                wide_code=kinds.count("code"),
                cloze_giveaways=kinds.count("cloze"),
                near_duplicates=sum(second.subdeck == subdeck.id for _, second, _ in pairs),
                enforced=subdeck.id in limits.enforce,
            )
        )
    return rows
