"""The near-duplicate search, against an all-pairs reference, and through the cache."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from itertools import combinations

from click.testing import CliRunner

from conftest import MakeProject
from deckbuilder.check.duplicates import sample, similar_pairs
from deckbuilder.cli import main

WORDS = [
    "注意力",
    "归一化",
    "残差",
    "梯度",
    "学习率",
    "量化",
    "蒸馏",
    "采样",
    "温度",
    "路由",
    "专家",
    "缓存",
    "解码",
    "位置",
    "编码",
    "上下文",
    "对齐",
    "奖励",
    "策略",
    "价值",
]


def shingle_set(text: str) -> set[str]:
    plain = re.sub(r"\W+", "", text)
    return {plain[i : i + 3] for i in range(len(plain) - 2)}


def all_pairs(texts: list[str]) -> dict[tuple[int, int], float]:
    """Jaccard of 3-character shingles over letters and digits of every pair, the slow and obvious way."""
    sets = [shingle_set(text) for text in texts]
    return {
        (i, j): len(sets[i] & sets[j]) / len(sets[i] | sets[j]) if sets[i] | sets[j] else 0.0
        for i, j in combinations(range(len(texts)), 2)
    }


def corpus(seed: int) -> list[str]:
    """Random texts from a small vocabulary (many shared stock words), with copies edited a little."""
    rng = random.Random(seed)
    texts = [
        "，".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(rng.randrange(8, 30))) for _ in range(300)
    ]
    for _ in range(40):
        words = rng.choice(texts).split("，")
        for _ in range(rng.randrange(0, 4)):
            words[rng.randrange(len(words))] = rng.choice(WORDS) + str(rng.randrange(1000))
        texts.insert(rng.randrange(len(texts) + 1), "，".join(words))
    texts += ["短", "", "softmax"]  # too short to be called anyone's duplicate
    return texts


def test_similar_pairs_are_the_all_pairs_reference() -> None:
    for seed in range(3):
        texts = corpus(seed)
        reference = all_pairs(texts)
        for threshold in (0.5, 0.6, 0.8):
            expected = {pair: similarity for pair, similarity in reference.items() if similarity >= threshold}
            found = {(i, j): s for i, j, s in similar_pairs([sample(t) for t in texts], texts.__getitem__, threshold)}
            assert len(expected) >= 20  # the edited copies are there to be found
            assert found.keys() == expected.keys()
            assert all(abs(found[pair] - expected[pair]) < 1e-12 for pair in expected)


def test_a_sample_is_empty_only_for_short_texts() -> None:
    assert sample("短短的一句") == "" and sample("softmax(x)") == ""
    long = "缩放点积注意力除以根号 d_k，让打分方差回到一，避免 softmax 饱和。"
    assert sample(long) != "" and len(sample(long)) % 3 == 0


def test_near_duplicates_come_back_from_the_cache_and_follow_edits(make_project: MakeProject) -> None:
    """A card's sample is cached with its render: a check from the cache finds the same duplicate
    as one without, and editing one card's recall part clears it."""
    answer = "缩放点积注意力除以根号 d_k，让打分方差回到一，避免 softmax 饱和。"
    first = f"## 甲？\n<!-- id: m-a -->\n{answer}\n"
    second = f"## 乙？\n<!-- id: b-b -->\n{answer}吧\n"
    root = make_project({"cards/more/more.md": first, "cards/basics/basics.md": second})
    runner = CliRunner()
    fresh = runner.invoke(main, ["check", "--design", "--no-cache", "--project", str(root)])
    assert "more.md:3: note: design: recall part nearly repeats 'b-b'" in fresh.output
    assert runner.invoke(main, ["build", "--project", str(root)]).exit_code == 0  # fills the cache
    with sqlite3.connect(root / ".cache/deckbuilder/cache-json.sqlite3") as conn:
        stored = [json.loads(value) for (value,) in conn.execute("select value from render")]
    assert sample(answer) in [entry[-1] for entry in stored]  # what the cached check below reads
    cached = runner.invoke(main, ["check", "--design", "--project", str(root)])
    assert cached.output == fresh.output
    (root / "cards/basics/basics.md").write_text(
        "## 乙？\n<!-- id: b-b -->\nLoRA 把权重更新分解为两个低秩矩阵的乘积。\n", encoding="utf-8"
    )
    edited = runner.invoke(main, ["check", "--design", "--project", str(root)])
    assert "nearly repeats" not in edited.output and edited.exit_code == 0
