"""The per-card work: render each card and run its own design checks. Cache hits are read back,
the rest done here or, when there are enough of them to pay for starting processes, in a pool of
worker processes."""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..cache import BuildCache
from ..cachekeys import render_key
from ..check.design import card_design
from ..errors import UserError
from ..model import Card, Diagnostic, RenderedCard
from .renderer import RenderContext, Renderer

PARALLEL_MIN = 300  # below this many cards to render, starting workers costs more than it saves
TASK = 100  # cards per task: results come back evenly and no worker holds many
WORKERS_ENV = "DECKBUILDER_WORKERS"

# A card's HTML, the problems rendering found, and its design findings.
Result = tuple[RenderedCard, list[Diagnostic], list[Diagnostic]]


class WorkerDied(UserError):
    def __init__(self) -> None:
        super().__init__(
            f"a render worker process died (out of memory?); nothing was written. "
            f"Try {WORKERS_ENV}=1 to render in one process."
        )


def render_cards(
    context: RenderContext, cards: list[Card], keys: list[str], cache: BuildCache | None, workers: int
) -> list[Result]:
    """Every card's result, in card order, the same whatever the cache holds or how many workers
    ran. Results without a render problem are stored in the cache."""
    keys = [render_key(key, context.design) for key in keys] if cache is not None else keys
    hits = cache.get_many(cards, keys) if cache is not None else [None] * len(cards)
    misses = [card for card, hit in zip(cards, hits, strict=True) if hit is None]
    fresh = iter(_render(context, misses, workers))
    results: list[Result] = []
    for key, hit in zip(keys, hits, strict=True):
        if hit is not None:
            results.append((hit[0], [], hit[1]))
            continue
        rendered, problems, design = next(fresh)
        if cache is not None and not problems:
            cache.put(rendered, design, key)
        results.append((rendered, problems, design))
    return results


def _render(context: RenderContext, cards: list[Card], workers: int) -> list[Result]:
    count = max(1, min(workers, len(cards) // PARALLEL_MIN))
    if count == 1:
        return _render_batch(context, cards)
    tasks = [cards[i : i + TASK] for i in range(0, len(cards), TASK)]
    # spawn, not fork: a worker need not carry a copy of the whole parsed deck
    spawn = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(count, mp_context=spawn, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            return [result for batch in pool.map(_render_batch, [context] * len(tasks), tasks) for result in batch]
    except BrokenProcessPool:
        raise WorkerDied() from None


@functools.lru_cache(maxsize=1)
def _renderer(context: RenderContext) -> Renderer:
    """One converter per process, kept between tasks."""
    return Renderer(context)


def _render_batch(context: RenderContext, cards: list[Card]) -> list[Result]:
    renderer = _renderer(context)
    return [(*renderer.render(card), card_design(card, context.design)) for card in cards]


def die_with_parent(parent: int) -> None:
    """Runs in each worker: exit as soon as the build that started it is gone (even by kill -9,
    which runs no clean-up), so no worker outlives it holding the caller's pipes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
