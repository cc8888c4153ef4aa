"""Every code answer in the real deck runs, and its hidden check passes.

For each card with a ```python check block: the card's python blocks run in order, then the
check, in one fresh namespace. The check compares with an independent reference.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from deckbuilder.config import load_config
from deckbuilder.model import Card
from deckbuilder.pipeline import cards_with_checks, gather

ROOT = Path(__file__).resolve().parent.parent
CARDS = cards_with_checks(gather(load_config(ROOT)).report)
NEEDS_TORCH = re.compile(r"^\s*(import torch|from torch)", re.M)


def run_card(card: Card) -> None:
    namespace: dict[str, object] = {"__name__": f"card_{card.id.replace('-', '_')}"}
    for block in (*card.python_blocks, *card.checks):
        code = compile(block.source, f"{block.location.path}:{block.location.line}", "exec")
        exec(code, namespace)


@pytest.mark.parametrize("card", CARDS, ids=[f"{c.subdeck}/{c.id}" for c in CARDS])
def test_card_code(card: Card) -> None:
    sources = "".join(b.source for b in (*card.python_blocks, *card.checks))
    if NEEDS_TORCH.search(sources) and importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed (pip install torch==2.13.0); .ci/run installs it")
    run_card(card)


def test_failing_check_is_caught() -> None:
    """The runner really fails on a wrong answer (guards against a check that cannot fail)."""
    from deckbuilder.parse import split_cards

    text = "## Q\n<!-- id: q -->\n```python\ndef f():\n    return 1\n```\n```python check\nassert f() == 2\n```\n"
    card = split_cards(text, "c.md", "sub")[0][0]
    with pytest.raises(AssertionError):
        run_card(card)
