"""A deterministic N-card project in deckbuilder's format, for benchmarks.

    python benchmarks/generate.py N OUT_DIR [--seed S]

writes OUT_DIR/deck.toml and OUT_DIR/cards/<subdeck>/topic-NNNN.md (20 cards a file). The cards
read like the real deck's: Chinese prose with English terms, inline math and display math with
`aligned`, lists, tables, a Python code block in every third card, a few cloze cards; about 2 KB
of Markdown a card, like `cards/` (753 KB for 364 cards). Every card passes
`deckbuilder check --strict`, every answer is different, and the same (N, seed) always gives
byte-identical files. Nothing here imports deckbuilder, so the corpus does not move when the
tool changes.
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass
from pathlib import Path

CARDS_PER_FILE = 20
DEFAULT_SEED = 20240601
CODE_EVERY = 3  # cards 0, 3, 6, ... carry a ```python block: one third of them
CLOZE_EVERY = 40  # one card in 40 is a cloze card (the real deck has 7 in 364)
SUBDECKS: tuple[tuple[str, str], ...] = (
    ("transformer", "Transformer基础"),
    ("attention", "注意力机制与位置编码"),
    ("pretrain", "分词、预训练与模型架构"),
    ("finetune", "微调与高效微调"),
    ("inference", "推理加速与解码"),
    ("alignment", "对齐与强化学习"),
)

# (Chinese term, English term, id slug)
TERMS: tuple[tuple[str, str, str], ...] = (
    ("多头注意力", "Multi-Head Attention", "mha"),
    ("缩放点积注意力", "Scaled Dot-Product Attention", "sdpa"),
    ("旋转位置编码", "RoPE", "rope"),
    ("层归一化", "LayerNorm", "layernorm"),
    ("均方根归一化", "RMSNorm", "rmsnorm"),
    ("残差连接", "Residual Connection", "residual"),
    ("前馈网络", "Feed-Forward Network", "ffn"),
    ("分组查询注意力", "Grouped-Query Attention", "gqa"),
    ("多查询注意力", "Multi-Query Attention", "mqa"),
    ("键值缓存", "KV Cache", "kv-cache"),
    ("混合专家", "Mixture of Experts", "moe"),
    ("低秩适配", "LoRA", "lora"),
    ("监督微调", "Supervised Fine-Tuning", "sft"),
    ("直接偏好优化", "DPO", "dpo"),
    ("近端策略优化", "PPO", "ppo"),
    ("组相对策略优化", "GRPO", "grpo"),
    ("字节对编码", "BPE", "bpe"),
    ("投机解码", "Speculative Decoding", "spec-decoding"),
    ("量化", "Quantization", "quant"),
    ("知识蒸馏", "Knowledge Distillation", "distill"),
    ("束搜索", "Beam Search", "beam"),
    ("核采样", "Top-p Sampling", "top-p"),
    ("梯度裁剪", "Gradient Clipping", "grad-clip"),
    ("混合精度训练", "Mixed Precision", "amp"),
    ("闪存注意力", "FlashAttention", "flash-attn"),
    ("多头潜在注意力", "Multi-head Latent Attention", "mla"),
    ("奖励模型", "Reward Model", "reward-model"),
    ("检索增强生成", "RAG", "rag"),
)
IDEAS = (
    "把计算拆成若干个互不依赖的子空间分别处理",
    "只在必要的位置引入可学习参数，其余部分保持冻结",
    "用相对量代替绝对量，让模型对长度变化更稳健",
    "先把数值压到一个稳定的范围，再交给后面的非线性",
    "用缓存换计算，避免每一步都从头重算",
    "把一个大矩阵写成两个小矩阵的乘积",
    "按组共享键和值，在显存和效果之间折中",
    "让每个 token 只激活一部分参数",
)
EFFECTS = (
    "训练更稳定，学习率可以设得更大",
    "推理时显存占用明显下降",
    "长上下文外推的效果更好",
    "同样的算力下可以训练更大的模型",
    "梯度在深层网络里不容易消失或爆炸",
    "解码吞吐量提高一到两倍",
    "可训练参数量减少几个数量级",
)
LINKS = ("对应的关系是", "写成公式就是", "关键一步是", "可以用", "面试时先写出")
PITFALLS = (
    "把训练时和推理时的行为混为一谈，是面试里最常见的错误",
    "忘记考虑 padding 位置，结果 loss 被无效 token 稀释",
    "只背公式，说不出每个符号的形状",
    "把它和相近的方法混淆，答不出两者的本质区别",
    "忽略数值稳定性，softmax 前没有减去最大值",
    "以为它能免费提升效果，忽略了额外的通信或显存开销",
)
INLINE_MATH = (
    r"\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
    r"d_k = d_{\text{model}}/h",
    r"\theta_i = b^{-2i/d}",
    r"\mathcal{L} = -\sum_{t} \log p_\theta(x_t \mid x_{<t})",
    r"W = W_0 + \frac{\alpha}{r}BA",
    r"\hat x = \frac{x-\mu}{\sqrt{\sigma^2+\epsilon}}",
    r"O(n^2 d)",
    r"\mathrm{RMS}(x)=\sqrt{\tfrac{1}{d}\sum_i x_i^2}",
    r"p_i = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}",
    r"r_t(\theta)=\frac{\pi_\theta(a_t\mid s_t)}{\pi_{\text{old}}(a_t\mid s_t)}",
    r"\|g\|_2 \le c",
    r"x_{l+1} = x_l + F(x_l)",
    r"h = W_0x + \Delta W x",
    r"\beta_1 = 0.9,\ \beta_2 = 0.95",
)
DISPLAY_MATH = (
    (
        r"\mathrm{Attention}(Q,K,V) &= \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V,\\",
        r"d_k &= <<d>>/<<h>> = <<dk>>.",
    ),
    (
        r"\mathcal{L}_{\text{DPO}} &= -\log\sigma\Big(\beta"
        r"\log\frac{\pi_\theta(y_w\mid x)}{\pi_{\text{ref}}(y_w\mid x)}\\",
        r"&\qquad - \beta\log\frac{\pi_\theta(y_l\mid x)}{\pi_{\text{ref}}(y_l\mid x)}\Big),\quad \beta=0.<<h>>.",
    ),
    (
        r"\mathrm{RMSNorm}(x) &= \frac{x}{\sqrt{\frac{1}{d}\sum_{i=1}^{d}x_i^2+\epsilon}}\odot g,\\",
        r"d &= <<d>>,\quad \epsilon = 10^{-<<h>>}.",
    ),
    (
        r"(R_m q)^\top (R_n k) &= q^\top R_m^\top R_n\,k\\",
        r"&= q^\top R_{n-m}\,k,\qquad \theta_i = 10000^{-2i/<<d>>}.",
    ),
    (
        r"M_{\text{KV}} &= 2 \times L \times n_{kv} \times d_h \times s \times b\\",
        r"&= 2 \times <<h>> \times 8 \times 128 \times <<d>> \times 2\ \text{bytes}.",
    ),
    (
        r"\hat A_i &= \frac{r_i - \mathrm{mean}(r_1,\dots,r_G)}{\mathrm{std}(r_1,\dots,r_G)},\\",
        r"G &= <<h>>.",
    ),
)
CODE = (
    '''def softmax_<<n>>(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """数值稳定的 softmax：先减去最大值再取指数。"""
    x = x - x.max(dim=dim, keepdim=True).values
    e = x.exp()
    return e / e.sum(dim=dim, keepdim=True)''',
    """class RMSNorm<<n>>(nn.Module):
    def __init__(self, d: int = <<d>>, eps: float = 1e-<<h>>) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = x.pow(2).mean(-1, keepdim=True).add(self.eps).rsqrt()
        return x * rms * self.weight""",
    """def attention_<<n>>(q, k, v, mask=None):
    # q, k, v: (B, h, T, d_k)，这里 d_k = <<dk>>
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v""",
    """class LoRALinear<<n>>(nn.Module):
    def __init__(self, base: nn.Linear, r: int = <<h>>, alpha: int = 16):
        super().__init__()
        self.base, self.scale = base, alpha / r
        self.A = nn.Parameter(torch.randn(r, base.in_features) * 0.01)
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        base.weight.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale""",
    """def top_p_sample_<<n>>(logits: torch.Tensor, p: float = 0.<<h>>) -> int:
    probs = logits.softmax(-1)
    sorted_probs, order = probs.sort(descending=True)
    keep = sorted_probs.cumsum(-1) - sorted_probs < p   # 至少保留一个
    sorted_probs = sorted_probs * keep
    choice = torch.multinomial(sorted_probs / sorted_probs.sum(), 1)
    return int(order[choice])""",
    """def rope_<<n>>(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    # x: (B, T, d)，d = <<d>>，相邻两维一组旋转
    B, T, d = x.shape
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    angle = torch.arange(T, dtype=torch.float32)[:, None] * theta
    cos, sin = angle.cos(), angle.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.flatten(-2)""",
)
AUTHORS = ("Vaswani et al.", "Su et al.", "Hu et al.", "Rafailov et al.", "Shao et al.", "Ainslie et al.", "Dao et al.")
PAPERS = (
    "Attention Is All You Need",
    "RoFormer: Enhanced Transformer with Rotary Position Embedding",
    "LoRA: Low-Rank Adaptation of Large Language Models",
    "Direct Preference Optimization",
    "DeepSeekMath: Pushing the Limits of Mathematical Reasoning",
    "GQA: Training Generalized Multi-Query Transformer Models",
    "FlashAttention: Fast and Memory-Efficient Exact Attention",
)
QUESTIONS = (
    "请解释<<zh>>（<<en>>）的原理，第 <<n>> 问。",
    "<<zh>>和<<zh2>>有什么区别？各适合什么场景？（<<n>>）",
    "推导：<<zh>>中 $<<math>>$ 是怎么来的？（<<n>>）",
    "为什么<<zh>>能让<<effect>>？（<<n>>）",
    "<<zh>>的计算量和显存怎么估算？以 $d=<<d>>$ 为例（<<n>>）",
)
CODE_QUESTIONS = ("手撕：用 PyTorch 实现<<zh>>（<<en>>）的核心计算（<<n>>）。",)


@dataclass(frozen=True)
class Card:
    id: str
    question: str
    answer: str  # exactly what deckbuilder reads as the answer (stripped, no metadata line)
    tags: tuple[str, ...]
    cloze: bool
    back_extra: str = ""


@dataclass(frozen=True)
class CardFile:
    subdeck: str
    name: str
    title: str
    cards: tuple[Card, ...]

    @property
    def relpath(self) -> str:
        return f"cards/{self.subdeck}/{self.name}"


def fill(template: str, **values: object) -> str:
    """Replace <<name>> markers; TeX and code are full of braces, so no str.format."""
    return re.sub(r"<<(\w+)>>", lambda m: str(values[m.group(1)]), template)


class CardWriter:
    """Every piece of one card, drawn from one random stream seeded by (seed, index)."""

    def __init__(self, seed: int, index: int) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.index = index
        self.term = self.rng.choice(TERMS)
        self.other = self.rng.choice([t for t in TERMS if t != self.term])
        self.d = self.rng.choice((512, 768, 1024, 2048, 4096)) + 64 * (index % 7)
        self.h = self.rng.randint(2, 9)
        self.values = {
            "zh": self.term[0],
            "en": self.term[1],
            "zh2": self.other[0],
            "n": index,
            "d": self.d,
            "h": self.h,
            "dk": self.d // self.h,
            "math": self.rng.choice(INLINE_MATH),
            "effect": self.rng.choice(EFFECTS),
        }

    def pick(self, options: tuple[str, ...]) -> str:
        return fill(self.rng.choice(options), **self.values)

    def sentence(self) -> str:
        """A line of prose with one or two inline formulas."""
        first = self.rng.choice(INLINE_MATH)
        parts = [
            f"{self.term[0]}（{self.term[1]}）{self.rng.choice(IDEAS)}，",
            f"{self.rng.choice(LINKS)} ${first}$，",
            f"因此{self.rng.choice(EFFECTS)}",
        ]
        if self.rng.random() < 0.5:
            parts.append(f"；在 $d={self.rng.randint(64, 8192)}$、$h={self.h}$ 的设置下尤其明显")
        return "".join(parts) + "。"

    def bullets(self, count: int) -> list[str]:
        return [f"- {self.sentence()}" for _ in range(count)]

    def display_math(self) -> list[str]:
        lines = self.rng.choice(DISPLAY_MATH)
        return ["$$", r"\begin{aligned}", *(fill(line, **self.values) for line in lines), r"\end{aligned}", "$$"]

    def table(self) -> list[str]:
        rows = ["| 方法 | 参数量 | 显存 | 备注 |", "|---|---|---|---|"]
        for zh, en, _ in self.rng.sample(TERMS, self.rng.randint(3, 5)):
            params = f"${self.rng.randint(1, 70)}\\,\\mathrm{{B}}$"
            rows.append(f"| {zh}（{en}） | {params} | {self.rng.randint(2, 80)} GB | {self.rng.choice(EFFECTS)} |")
        return rows

    def code(self) -> list[str]:
        body = fill(self.rng.choice(CODE), **self.values)
        return ["```python", "import math", "", "import torch", "import torch.nn as nn", "", "", body, "```"]

    def numbered(self) -> list[str]:
        return [f"{i}. {self.rng.choice(IDEAS)}，复杂度 ${self.rng.choice(INLINE_MATH)}$。" for i in (1, 2, 3)]

    def basic(self) -> Card:
        with_code = self.index % CODE_EVERY == 0
        question = self.pick(CODE_QUESTIONS if with_code else QUESTIONS)
        lines = ["**要点**", *self.bullets(self.rng.randint(3, 5)), "", "**详解**", self.sentence(), ""]
        if self.rng.random() < 0.45:
            lines += [*self.display_math(), ""]
        if self.rng.random() < 0.4:
            lines += [*self.table(), ""]
        if self.rng.random() < 0.3:
            lines += ["### 步骤", "", *self.numbered(), ""]
        if with_code:
            lines += [*self.code(), ""]
        lines += ["**追问 / 易错**", f"- {self.rng.choice(PITFALLS)}。", f"- {self.sentence()}", ""]
        year = 2017 + self.rng.randint(0, 8)
        lines.append(f"**参考**：{self.rng.choice(AUTHORS)}, *{self.rng.choice(PAPERS)}*, {year}.")
        tags = ("code",) if with_code else (self.rng.choice(("concept", "formula", "compare")),)
        return Card(self.card_id(), question, "\n".join(lines), tags, cloze=False)

    def cloze_card(self) -> Card:
        zh, en = self.term[0], self.term[1]
        question = f"填空：{zh}（{en}）的关键公式（{self.index}）。"
        answer = (
            f"缩放点积注意力把打分除以 $\\sqrt{{ {{{{c1::d_k}}}} }}$，其中 $d_k={self.d // self.h}$；"
            f"{zh}的作用是{{{{c2::{self.rng.choice(IDEAS)}}}}}。"
        )
        back = self.sentence()
        return Card(self.card_id(), question, answer, ("cloze",), cloze=True, back_extra=back)

    def card_id(self) -> str:
        return f"b{self.index:06d}-{self.term[2]}"

    def card(self) -> Card:
        return self.cloze_card() if self.index % CLOZE_EVERY == CLOZE_EVERY - 1 else self.basic()


def make_card(seed: int, index: int) -> Card:
    return CardWriter(seed, index).card()


def make_corpus(n: int, seed: int = DEFAULT_SEED) -> list[CardFile]:
    """N cards in files of CARDS_PER_FILE, the files dealt round-robin to the subdecks."""
    files: list[CardFile] = []
    for number, start in enumerate(range(0, n, CARDS_PER_FILE)):
        subdeck, title = SUBDECKS[number % len(SUBDECKS)]
        cards = tuple(make_card(seed, i) for i in range(start, min(start + CARDS_PER_FILE, n)))
        files.append(CardFile(subdeck, f"topic-{number:04d}.md", f"{title} · 第 {number} 组", cards))
    return files


def card_markdown(card: Card) -> str:
    meta = f"id: {card.id}; tags: {' '.join(card.tags)}" + ("; type: cloze" if card.cloze else "")
    text = f"## {card.question}\n<!-- {meta} -->\n\n{card.answer}\n"
    if card.cloze:
        text += f"\n<!-- back -->\n{card.back_extra}\n"
    return text


def file_markdown(card_file: CardFile) -> str:
    head = f"---\ntags: [bench, {card_file.subdeck}]\n---\n\n# {card_file.title}\n\n"
    return head + "\n".join(card_markdown(card) for card in card_file.cards)


def deck_toml(n: int) -> str:
    lines = [
        'title = "基准测试牌组"',
        f'slug = "bench-{n}"',
        'version = "1.0.0"',
        'guid_namespace = "deckbuilder:bench"',
        f'description = "deckbuilder 基准测试：{n} 张生成的面试卡片。"',
    ]
    for subdeck, title in SUBDECKS:
        lines += ["", "[[subdecks]]", f'id = "{subdeck}"', f'title = "{title}"']
    return "\n".join(lines) + "\n"


def write_project(n: int, out: Path, seed: int = DEFAULT_SEED) -> list[CardFile]:
    """Write the project into `out` (which must not hold another project's cards)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "deck.toml").write_text(deck_toml(n), encoding="utf-8")
    corpus = make_corpus(n, seed)
    for card_file in corpus:
        path = out / card_file.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_markdown(card_file), encoding="utf-8")
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of cards")
    parser.add_argument("out_dir", type=Path, help="project folder to write (deck.toml, cards/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    corpus = write_project(args.n, args.out_dir, args.seed)
    print(f"wrote {args.n} cards in {len(corpus)} files to {args.out_dir}")


if __name__ == "__main__":
    main()
