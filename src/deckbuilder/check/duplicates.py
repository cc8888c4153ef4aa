"""Near-duplicate texts, for "one fact, one home" (docs/card-style.md): texts are compared on
3-character shingles; candidates come from a sample of rare shingles, so the search stays near
linear in the number of texts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import lru_cache

SHINGLE = 3
RARE = 8  # a shingle in more cards than this is a stock phrase, not a sign of a duplicate
NOT_WORD = re.compile(r"\W+")


def _plain(text: str) -> str:
    return NOT_WORD.sub("", text)


@lru_cache(maxsize=64)  # a card with stock text is a candidate of many: make its set once, keep a few
def _shingles(plain: str) -> frozenset[str]:
    return frozenset(plain[i : i + SHINGLE] for i in range(len(plain) - SHINGLE + 1))


# About a quarter of the shingles, chosen the same way for every card (by the code of the middle
# character), so that two alike cards keep alike samples: enough to find candidates in little
# memory. One regex finds them all at C speed (overlapping, by a lookahead); made on first use,
# as it takes a while to compile.
@lru_cache(maxsize=1)
def _sampled() -> re.Pattern[str]:
    middle = "".join(re.escape(chr(c)) for c in range(0, 0x10000, 4) if not 0xD800 <= c < 0xE000)
    return re.compile("(?=(.[" + middle + "].))", re.S)


def _sample(plain: str) -> set[str]:
    return set(_sampled().findall(plain))


def _candidate_sample(plain: str) -> set[str]:
    """The sample of a text with at least 12 different shingles (a sample that big proves it
    without making them all), else nothing: a text that short cannot be called a duplicate."""
    sample = _sample(plain)
    return sample if len(sample) >= 12 or len(_shingles(plain)) >= 12 else set()


def similar_pairs(texts: list[str], threshold: float) -> Iterator[tuple[int, int, float]]:
    """(earlier, later, similarity) of texts that share most of their 3-character shingles (Jaccard).

    Candidates come from sampled shingles that few cards share: one that many cards have (a stock
    phrase) says nothing about duplication, and following it would make the search quadratic. Each
    candidate pair is then compared on all its shingles.
    """
    plains = [_plain(text) for text in texts]
    # Samples are made twice rather than kept: all of them at once would be most of a build's memory.
    counts: Counter[str] = Counter()
    for plain in plains:
        counts.update(_candidate_sample(plain))
    rare_anywhere = {shingle for shingle, n in counts.items() if n <= RARE}
    postings: dict[str, list[int]] = defaultdict(list)
    for index, plain in enumerate(plains):
        shared: dict[int, int] = defaultdict(int)
        rare = _candidate_sample(plain) & rare_anywhere
        for shingle in rare:
            for other in postings[shingle]:
                shared[other] += 1
            postings[shingle].append(index)
        # a pair this alike shares most of its rare shingles too
        candidates = [o for o, count in shared.items() if count >= threshold * len(rare) / 2]
        mine = _shingles(plains[index]) if candidates else frozenset()
        for other in candidates:
            theirs = _shingles(plains[other])
            common = len(mine & theirs)
            similarity = common / (len(mine) + len(theirs) - common)
            if similarity >= threshold:
                yield other, index, similarity
    _shingles.cache_clear()  # the sets are big: keep none after the search
