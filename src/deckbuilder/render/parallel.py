"""The per-card work: render each card and run its own design checks. Cache hits are read back,
the rest done here or, when there are enough of them to pay for starting processes, in a pool of
worker processes."""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from ..cachekeys import render_key
from ..check.design import CardDesign, card_design
from ..errors import UserError
from ..model import Card, Diagnostic, RenderedCard
from ..source.spans import with_spans
from .renderer import RenderContext, Renderer

if TYPE_CHECKING:  # a worker never opens the cache: it need not import it
    from ..cache import BuildCache

PARALLEL_MIN = 300  # below this many cards to render, starting workers costs more than it saves
TASK = 100  # cards per task: results come back evenly and no worker holds many
WORKERS_ENV = "DECKBUILDER_WORKERS"

# A card's HTML, the problems rendering found, and what its own design checks found.
Result = tuple[RenderedCard, list[Diagnostic], CardDesign]
# What a worker sends back for a card: its HTML fields and media, problems and design checks
# (not the card: the caller has it, and a second copy of every card would double the memory).
Done = tuple[tuple[str, str, str], tuple[tuple[str, Path], ...], list[Diagnostic], CardDesign]


class WorkerDied(UserError):
    def __init__(self) -> None:
        super().__init__(
            f"a render worker process died (out of memory?); nothing was written. "
            f"Try {WORKERS_ENV}=1 to render in one process."
        )


class Workers:
    """The processes that render: this one and `size - 1` workers, started when first needed, or
    early (`start`) to be ready by the time parsing is done; stopped on exit. (This process takes
    its share after its own checks: one worker fewer is as fast and holds less memory.)"""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    @property
    def count(self) -> int:
        return max(1, self.size - 1)

    def start(self, context: RenderContext) -> ProcessPoolExecutor:
        if self.pool is None:
            count = self.count
            # spawn, not fork: a worker need not carry a copy of the whole parsed deck
            spawn = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                count, mp_context=spawn, initializer=die_with_parent, initargs=(os.getpid(),)
            )
            for _ in range(count):  # each spawns a process that gets its converter ready
                self.pool.submit(_warm, context)
        return self.pool


class Rendering:
    """Cards being rendered. Cache hits are read at once; the misses go to the workers (when there
    are enough of them to pay for starting processes, or the workers are running already), which
    render while the caller does something else; then `results()` renders here, from the end of
    the queue, what no worker has taken, and waits for the rest. The results are the same whatever
    the cache held or how many processes ran; those without a render problem are stored in the
    cache."""

    def __init__(
        self, context: RenderContext, cards: list[Card], keys: list[str], cache: BuildCache | None, workers: Workers
    ) -> None:
        self.context, self.cache, self.workers = context, cache, workers
        self.keys = [render_key(key, context.design) for key in keys] if cache is not None else keys
        self.hits = cache.get_many(cards, self.keys) if cache is not None else [None] * len(cards)
        self.misses = [card for card, hit in zip(cards, self.hits, strict=True) if hit is None]
        self.batches = [self.misses[i : i + TASK] for i in range(0, len(self.misses), TASK)]
        self.queue: deque[int] = deque()  # batches no process has taken yet
        self.tasks: dict[int, Future[list[Done]]] = {}
        self.broken = False
        self.feeder: threading.Thread | None = None
        many = min(workers.size, len(self.misses) // PARALLEL_MIN) > 1
        if many or (workers.pool is not None and len(self.batches) > 1):
            pool = workers.start(context)
            self.queue.extend(range(len(self.batches)))
            self.feeder = threading.Thread(target=self._feed, args=(pool,), name="render-feeder", daemon=True)
            self.feeder.start()

    def _feed(self, pool: ProcessPoolExecutor) -> None:
        """Keep every worker a batch ahead, from the front of the queue. (Handing batches out as
        they are needed, not all at once, leaves the rest to this process without cancelling
        futures, which a broken pool cannot take in Python 3.11.)"""
        running: set[Future[list[Done]]] = set()
        try:
            while True:
                while len(running) < 2 * self.workers.count:
                    try:
                        index = self.queue.popleft()
                    except IndexError:
                        return
                    self.tasks[index] = task = pool.submit(_render_batch, self.context, self.batches[index])
                    running.add(task)
                running = wait(running, return_when=FIRST_COMPLETED).not_done
        except (BrokenProcessPool, RuntimeError):  # a worker died, or the build is stopping
            self.broken = True

    def _fresh(self) -> list[Done]:
        if self.feeder is None:
            return _render_batch(self.context, self.misses)
        mine: dict[int, list[Done]] = {}
        while not self.broken:
            try:
                index = self.queue.pop()
            except IndexError:
                break
            mine[index] = _render_batch(self.context, self.batches[index])
        self.feeder.join()
        try:
            if self.broken:
                raise BrokenProcessPool
            return [r for i in range(len(self.batches)) for r in (mine[i] if i in mine else self.tasks[i].result())]
        except BrokenProcessPool:
            raise WorkerDied() from None

    def results(self) -> list[Result]:
        fresh = iter(zip(self.misses, self._fresh(), strict=True))
        self.workers.stop()  # their work is back: free their memory before the results grow ours
        results: list[Result] = []
        for key, hit in zip(self.keys, self.hits, strict=True):
            if hit is not None:
                results.append((hit[0], [], hit[1]))
                continue
            card, (html, media, problems, design) = next(fresh)
            rendered = RenderedCard(card, *html, media)
            if self.cache is not None and not problems:
                self.cache.put(rendered, design, key)
            results.append((rendered, problems, design))
        return results


@functools.lru_cache(maxsize=1)
def _renderer(context: RenderContext) -> Renderer:
    """One converter per process, kept between tasks."""
    return Renderer(context)


def _warm(context: RenderContext) -> None:
    """Get the converter ready, Pygments' Python lexer too (most code in the deck is Python)."""
    _renderer(context).convert("```python\npass\n```")


def _render_batch(context: RenderContext, cards: list[Card]) -> list[Done]:
    renderer = _renderer(context)
    cards = [with_spans(card) for card in cards]  # found once for the render and the design check
    return [_done(*renderer.render(card), card_design(card, context.design)) for card in cards]


def _done(rendered: RenderedCard, problems: list[Diagnostic], design: CardDesign) -> Done:
    html = (rendered.question_html, rendered.answer_html, rendered.back_extra_html)
    return html, rendered.media, problems, design


def die_with_parent(parent: int) -> None:
    """Runs in each worker: exit as soon as the build that started it is gone (even by kill -9,
    which runs no clean-up), so no worker outlives it holding the caller's pipes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
