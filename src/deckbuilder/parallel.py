"""Render many cards, streamed in card order: cache hits as they are reached, the rest in worker
processes when there are enough of them to pay for starting the workers."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .cache import BATCH, BuildCache, card_key
from .model import Card, Diagnostic, RenderedCard
from .render import RenderContext, Renderer

# Below this many cards to render, starting worker processes costs more than it saves.
PARALLEL_MIN = 300
# Cards per task: small enough that results stream back evenly and no worker holds many.
TASK_MAX = 200
WORKERS_ENV = "DECKBUILDER_WORKERS"

Result = tuple[RenderedCard, list[Diagnostic]]
# What a worker sends back: the HTML fields and media, not a copy of the card the parent has.
Output = tuple[tuple[str, str, str, tuple[tuple[str, Path], ...]], list[Diagnostic]]


def _output(result: Result) -> Output:
    rendered, problems = result
    return (rendered.question_html, rendered.answer_html, rendered.back_extra_html, rendered.media), problems


def _render_batch(context: RenderContext, cards: list[Card]) -> list[Output]:
    renderer = Renderer(context)
    return [_output(renderer.render(card)) for card in cards]


def worker_count(todo: int) -> int:
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    workers = int(wanted) if wanted.isdigit() and int(wanted) > 0 else (os.cpu_count() or 1)
    return max(1, min(workers, todo // PARALLEL_MIN))


class _Local:
    """Renders in this process, making its Markdown converter only if it is needed."""

    def __init__(self, context: RenderContext) -> None:
        self.context = context
        self.renderer: Renderer | None = None

    def __call__(self, card: Card) -> Output:
        if self.renderer is None:
            self.renderer = Renderer(self.context)
        return _output(self.renderer.render(card))


def render_stream(
    cards: list[Card], context: RenderContext, cache: BuildCache | None, keys: list[str] | None = None
) -> Iterator[Result]:
    """Results in card order, identical whatever the cache holds or how many workers ran.

    `keys` are the cards' render keys when the caller already has them (from the parse cache).
    """
    if cache is None:
        keys = [""] * len(cards)
    elif keys is None:
        keys = [card_key(card) for card in cards]
    stored = cache.present(keys) if cache is not None else set()
    misses = [card for card, key in zip(cards, keys, strict=True) if key not in stored]
    local = _Local(context)
    with contextlib.ExitStack() as stack:
        workers = worker_count(len(misses))
        fresh: Iterator[Output]
        if workers > 1:
            size = max(1, min(TASK_MAX, -(-len(misses) // (workers * 4))))
            tasks = [misses[i : i + size] for i in range(0, len(misses), size)]
            # spawn, not fork: a worker need not carry a copy of the whole parsed deck
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")))
            fresh = itertools.chain.from_iterable(pool.map(_render_batch, itertools.repeat(context), tasks))
        else:
            fresh = map(local, misses)
        for start in range(0, len(cards), BATCH):
            block, block_keys = cards[start : start + BATCH], keys[start : start + BATCH]
            hits = _hits(cache, block, block_keys, stored)
            for card, key in zip(block, block_keys, strict=True):
                if (hit := hits.get(key)) is not None:
                    yield hit, []
                    continue
                # a miss, or a stored entry that failed its checks: rendered now, in this process
                (question, answer, back, media), problems = local(card) if key in stored else next(fresh)
                rendered = RenderedCard(card, question, answer, back, media)
                if cache is not None and not problems:
                    cache.put(rendered, key)
                yield rendered, problems


def _hits(cache: BuildCache | None, cards: list[Card], keys: list[str], stored: set[str]) -> dict[str, RenderedCard]:
    if cache is None:
        return {}
    wanted = [i for i, key in enumerate(keys) if key in stored]
    found = cache.get_many([cards[i] for i in wanted], [keys[i] for i in wanted])
    return {keys[i]: rendered for i, rendered in zip(wanted, found, strict=True) if rendered is not None}
