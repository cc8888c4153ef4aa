"""Near-duplicate texts, for "one fact, one home" (docs/card-style.md): texts are compared on
3-character shingles; candidates come from a sample of rare shingles, so the search stays near
linear in the number of texts. A text's sample is made once, with its card's other checks (and
cached with them); the search itself needs only the samples and, for candidates, the texts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

SHINGLE = 3
RARE = 8  # a shingle in more cards than this is a stock phrase, not a sign of a duplicate
MIN_SAMPLE = 12  # fewer different shingles than this: too short to be called a duplicate
NOT_WORD = re.compile(r"\W+")
EVERY_SHINGLE = re.compile("(?=(" + "." * SHINGLE + "))", re.S)  # overlapping, by a lookahead
SHINGLES_IN_A_ROW = re.compile("." * SHINGLE, re.S)  # a stored sample back into its shingles


def _plain(text: str) -> str:
    return NOT_WORD.sub("", text)


def shingles(text: str) -> frozenset[str]:
    """Every 3-character shingle of a text's letters and digits."""
    return frozenset(EVERY_SHINGLE.findall(_plain(text)))


# About a quarter of the shingles, chosen the same way for every card (by the code of the middle
# character), so that two alike cards keep alike samples: enough to find candidates in little
# memory. One regex finds them all at C speed; made on first use, as it takes a while to compile.
@lru_cache(maxsize=1)
def _sampled() -> re.Pattern[str]:
    middle = "".join(re.escape(chr(c)) for c in range(0, 0x10000, 4) if not 0xD800 <= c < 0xE000)
    return re.compile("(?=(.[" + middle + "].))", re.S)


def sample(text: str) -> str:
    """A text's sampled shingles, sorted and joined (a compact value to store), or "" for a text
    with fewer than 12 different shingles (a sample that big proves it without making them all)."""
    plain = _plain(text)
    found = set(_sampled().findall(plain))
    if len(found) < MIN_SAMPLE and len(shingles(text)) < MIN_SAMPLE:  # a small sample: count them all
        return ""
    return "".join(sorted(found))


def _shingles_of(stored: str) -> list[str]:
    return SHINGLES_IN_A_ROW.findall(stored)


def similar_pairs(
    samples: Sequence[str], text_of: Callable[[int], str], threshold: float
) -> Iterator[tuple[int, int, float]]:
    """(earlier, later, similarity) of texts that share most of their 3-character shingles
    (Jaccard). `samples[i]` is `sample(text_of(i))`; texts are read only for candidates.

    Candidates come from sampled shingles that few cards share: one that many cards have (a stock
    phrase) says nothing about duplication, and following it would make the search quadratic. Each
    candidate pair is then compared on all its shingles.
    """
    counts: Counter[str] = Counter()
    for stored in samples:
        counts.update(_shingles_of(stored))
    rare_anywhere = {shingle for shingle, n in counts.items() if n <= RARE}
    all_shingles = lru_cache(maxsize=64)(lambda index: shingles(text_of(index)))  # a stock text is met often
    postings: dict[str, list[int]] = defaultdict(list)
    for index, stored in enumerate(samples):
        shared: dict[int, int] = defaultdict(int)
        rare = rare_anywhere.intersection(_shingles_of(stored))
        for shingle in rare:
            for other in postings[shingle]:
                shared[other] += 1
            postings[shingle].append(index)
        # a pair this alike shares most of its rare shingles too
        candidates = sorted(o for o, count in shared.items() if count >= threshold * len(rare) / 2)
        mine = all_shingles(index) if candidates else frozenset()
        for other in candidates:
            theirs = all_shingles(other)
            common = len(mine & theirs)
            similarity = common / (len(mine) + len(theirs) - common)
            if similarity >= threshold:
                yield other, index, similarity
