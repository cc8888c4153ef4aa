"""Render many cards, streamed in card order: cache hits as they are reached, the rest in worker
processes when there are enough of them to pay for starting the workers."""

from __future__ import annotations

import contextlib
import functools
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
# Markdown bytes per card, to guess from changed files whether workers will be needed.
BYTES_PER_CARD = 2000
WORKERS_ENV = "DECKBUILDER_WORKERS"

Result = tuple[RenderedCard, list[Diagnostic]]
# What a worker sends back: the HTML fields and media, not a copy of the card the parent has.
Output = tuple[tuple[str, str, str, tuple[tuple[str, Path], ...]], list[Diagnostic]]


def _output(result: Result) -> Output:
    rendered, problems = result
    return (rendered.question_html, rendered.answer_html, rendered.back_extra_html, rendered.media), problems


@functools.lru_cache(maxsize=1)
def _renderer(context: RenderContext) -> Renderer:
    """One converter per process, kept between tasks (and made only if something is rendered)."""
    return Renderer(context)


def _render_one(context: RenderContext, card: Card) -> Output:
    return _output(_renderer(context).render(card))


def _render_batch(context: RenderContext, cards: list[Card]) -> list[Output]:
    renderer = _renderer(context)
    return [_output(renderer.render(card)) for card in cards]


def _warm_up(context: RenderContext) -> None:
    """Import and set up everything a render needs (Pygments loads lexers on first use)."""
    _renderer(context).convert("$x$ *y*\n\n```python\nx = 1\n```\n")


def configured_workers() -> int:
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    return int(wanted) if wanted.isdigit() and int(wanted) > 0 else (os.cpu_count() or 1)


def worker_count(todo: int) -> int:
    return max(1, min(configured_workers(), todo // PARALLEL_MIN))


class WorkerPool:
    """Worker processes, started only when needed, or ahead of time by `prestart` so that they
    import Markdown and Pygments while this process is still parsing."""

    def __init__(self, context: RenderContext) -> None:
        self.context = context
        self.size = configured_workers()
        self.executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        if self.executor is None:
            # spawn, not fork: a worker need not carry a copy of the whole parsed deck
            self.executor = ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"))
        return self.executor

    def prestart(self, changed_bytes: int) -> None:
        """Start the workers now if the changed card files hold enough cards to use them."""
        if self.size > 1 and worker_count(changed_bytes // BYTES_PER_CARD) > 1:
            executor = self._started()
            for _ in range(self.size):
                executor.submit(_warm_up, self.context)

    def render(self, cards: list[Card], workers: int) -> Iterator[Output]:
        """Outputs in card order, rendered by `workers` processes in small tasks."""
        size = max(1, min(TASK_MAX, -(-len(cards) // (workers * 4))))
        tasks = [cards[i : i + size] for i in range(0, len(cards), size)]
        results = self._started().map(_render_batch, itertools.repeat(self.context), tasks)
        return itertools.chain.from_iterable(results)


def render_stream(
    cards: list[Card],
    context: RenderContext,
    cache: BuildCache | None,
    keys: list[str] | None = None,
    pool: WorkerPool | None = None,
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
    local = functools.partial(_render_one, context)
    with contextlib.ExitStack() as stack:
        workers = min(worker_count(len(misses)), pool.size if pool is not None else configured_workers())
        if workers > 1:
            pool = pool if pool is not None else stack.enter_context(WorkerPool(context))
            fresh = pool.render(misses, workers)
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
