"""Ids at a git ref versus now: an id never disappears without being retired."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from ..apkg.retired import Retired
from ..config import DeckConfig
from ..model import Card, Diagnostic, Location, error
from ..release.snapshot import export_ref
from ..source.files import discover, parse_file


def ids_at_ref(config: DeckConfig, ref: str) -> dict[str, Location]:
    """Card ids in the cards/ tree of `ref`, with where they stood there."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        export_ref(config.root, ref, tree)
        old = dataclasses.replace(config, root=tree)
        files, _ = discover(old)
        found: dict[str, Location] = {}
        for path, rel, subdeck in files:
            source, _ = parse_file(path, rel, subdeck)
            for card in source.cards:
                if card.id:
                    found.setdefault(card.id, card.location)
        return found


def check_against(config: DeckConfig, ref: str, cards: list[Card], retired: dict[str, Retired]) -> list[Diagnostic]:
    now = {card.id for card in cards}
    problems: list[Diagnostic] = []
    for card_id, where in sorted(ids_at_ref(config, ref).items()):
        if card_id not in now and card_id not in retired:
            problems.append(
                error(
                    where,
                    f"card id '{card_id}' existed at {ref} and is gone without being retired; "
                    f"restore it, or remove it with 'deckbuilder retire {card_id}'",
                )
            )
    return problems
