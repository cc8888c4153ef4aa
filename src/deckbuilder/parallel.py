"""Render many cards, streamed in card order: cache hits as they are reached, the rest in worker
processes when there are enough of them to pay for starting the workers."""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .cache import BATCH, BuildCache
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


def die_with_parent(parent: int) -> None:
    """Runs in each worker: exit as soon as the build that started it is gone (even by kill -9,
    which runs no clean-up), so no worker outlives it holding the caller's pipes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


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

    @property
    def started(self) -> bool:
        return self.executor is not None

    def _started(self) -> ProcessPoolExecutor:
        if self.executor is None:
            # spawn, not fork: a worker need not carry a copy of the whole parsed deck
            self.executor = ProcessPoolExecutor(
                self.size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self.executor

    def prestart(self, changed_bytes: int) -> None:
        """Start the workers now if the changed card files hold enough cards to use them."""
        if self.size > 1 and worker_count(changed_bytes // BYTES_PER_CARD) > 1:
            executor = self._started()
            for _ in range(self.size):
                executor.submit(_warm_up, self.context)

    def submit(self, cards: list[Card]) -> Future[list[Output]]:
        return self._started().submit(_render_batch, self.context, cards)


class RenderQueue:
    """Cards in deck order, added file by file as they are parsed; `results` renders them.

    Cache hits are read when reached. When the workers are already running, misses go to them
    as soon as a task's worth has been parsed, so rendering overlaps parsing; otherwise the
    number of misses decides between the workers and this process.
    """

    def __init__(self, context: RenderContext, cache: BuildCache | None, pool: WorkerPool) -> None:
        self.context = context
        self.cache = cache
        self.pool = pool
        self.cards: list[Card] = []
        self.keys: list[str] = []
        self.stored: set[str] = set()
        self.misses: list[Card] = []  # not yet sent to a worker
        self.tasks: list[Future[list[Output]]] = []

    def add(self, cards: tuple[Card, ...], keys: tuple[str, ...]) -> None:
        """`keys` are the cards' render keys (empty without a cache)."""
        keys = keys if self.cache is not None else ("",) * len(cards)
        self.cards += cards
        self.keys += keys
        if self.cache is not None:
            self.stored |= self.cache.present(list(keys))
        self.misses += [card for card, key in zip(cards, keys, strict=True) if key not in self.stored]
        if self.pool.started and len(self.misses) >= TASK_MAX:
            self.tasks.append(self.pool.submit(self.misses))
            self.misses = []

    def _fresh(self) -> Iterator[Output]:
        """Every miss's output, in order: from the workers' tasks, then the rest."""
        misses, self.misses = self.misses, []
        workers = min(worker_count(len(misses)), self.pool.size)
        if self.tasks or workers > 1:
            size = max(1, min(TASK_MAX, -(-len(misses) // (max(workers, 2) * 4))))
            self.tasks += [self.pool.submit(misses[i : i + size]) for i in range(0, len(misses), size)]
            return itertools.chain.from_iterable(_drain(self.tasks))
        return map(functools.partial(_render_one, self.context), misses)

    def results(self) -> Iterator[Result]:
        """Results in card order, identical whatever the cache holds or how many workers ran."""
        fresh = self._fresh()
        cards, keys, stored = self.cards, self.keys, self.stored
        for start in range(0, len(cards), BATCH):
            block, block_keys = cards[start : start + BATCH], keys[start : start + BATCH]
            hits = _hits(self.cache, block, block_keys, stored)
            for card, key in zip(block, block_keys, strict=True):
                if (hit := hits.get(key)) is not None:
                    yield hit, []
                    continue
                # a miss, or a stored entry that failed its checks: rendered now, in this process
                (question, answer, back, media), problems = (
                    _render_one(self.context, card) if key in stored else next(fresh)
                )
                rendered = RenderedCard(card, question, answer, back, media)
                if self.cache is not None and not problems:
                    self.cache.put(rendered, key)
                yield rendered, problems


def _drain(tasks: list[Future[list[Output]]]) -> Iterator[list[Output]]:
    """Each task's result in order, letting go of every finished task (its HTML) once read."""
    tasks.reverse()
    while tasks:
        yield tasks.pop().result()


def _hits(cache: BuildCache | None, cards: list[Card], keys: list[str], stored: set[str]) -> dict[str, RenderedCard]:
    if cache is None:
        return {}
    wanted = [i for i, key in enumerate(keys) if key in stored]
    found = cache.get_many([cards[i] for i in wanted], [keys[i] for i in wanted])
    return {keys[i]: rendered for i, rendered in zip(wanted, found, strict=True) if rendered is not None}
