"""Render many cards: cache hits first, then the rest in worker processes when it pays."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from .cache import RenderCache
from .model import Card, Diagnostic, RenderedCard
from .render import RenderContext, Renderer

# Below this many cards to render, starting worker processes costs more than it saves.
PARALLEL_MIN = 300
WORKERS_ENV = "DECKBUILDER_WORKERS"

Result = tuple[RenderedCard, list[Diagnostic]]


def _render_batch(context: RenderContext, cards: list[Card]) -> list[Result]:
    renderer = Renderer(context)
    return [renderer.render(card) for card in cards]


def worker_count(todo: int) -> int:
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    workers = int(wanted) if wanted.isdigit() and int(wanted) > 0 else (os.cpu_count() or 1)
    return max(1, min(workers, todo // PARALLEL_MIN))


def render_all(cards: list[Card], context: RenderContext, cache: RenderCache | None) -> list[Result]:
    """Results in card order, identical whatever the cache holds or how many workers ran."""
    results: list[Result | None] = [None] * len(cards)
    todo: list[int] = []
    hits = cache.get_many(cards) if cache is not None else [None] * len(cards)
    for index, hit in enumerate(hits):
        if hit is not None:
            results[index] = (hit, [])
        else:
            todo.append(index)
    workers = worker_count(len(todo))
    pending = [cards[i] for i in todo]
    if workers > 1:
        size = -(-len(pending) // (workers * 4))  # a few chunks per worker evens out slow cards
        chunks = [pending[i : i + size] for i in range(0, len(pending), size)]
        # spawn, not fork: a worker need not carry a copy of the whole parsed deck
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            rendered = [r for batch in pool.map(_render_batch, [context] * len(chunks), chunks) for r in batch]
    else:
        rendered = _render_batch(context, pending)
    for index, result in zip(todo, rendered, strict=True):
        results[index] = result
        if cache is not None and not result[1]:
            cache.put(result[0])
    return [r for r in results if r is not None]
