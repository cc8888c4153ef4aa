"""Draw the deck's figures into assets/ (or --out DIR).

    .venv/bin/python figures/make_figures.py [--out assets]

Every figure is deterministic: fixed sizes, fixed seeds, no timestamp or software tag in the PNG.
Labels are English or math only, so no CJK font is needed. Figures are 6.5 in wide at 150 dpi
(975 px), which a phone shows at about 390 px without losing the 11-12 pt text.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Arc, FancyBboxPatch, Patch, Rectangle

ROOT = Path(__file__).resolve().parent.parent
DPI = 150
WIDTH = 6.5  # inches -> 975 px

STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 12,
    "axes.titlesize": 12,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
}

# Okabe-Ito colours (colour-blind safe).
BLUE, ORANGE, GREEN, VERMILION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, GREY = "#56B4E9", "#BBBBBB"


def new_figure(height: float, layout: str | None = "constrained") -> Figure:
    return Figure(figsize=(WIDTH, height), dpi=DPI, layout=layout)


# --------------------------------------------------------------------------- attention masks


def attention_masks(length: int = 6, n_pad: int = 2) -> dict[str, np.ndarray]:
    """Boolean (query, key) masks, True = may attend; one sequence, right padding."""
    causal = np.tril(np.ones((length, length), dtype=bool))
    real = np.arange(length) < length - n_pad
    padding = np.broadcast_to(real[None, :], (length, length)).copy()
    return {"causal": causal, "padding": padding, "combined": causal & padding}


def draw_mask(ax: Axes, mask: np.ndarray, title: str, labels: list[str]) -> None:
    n = mask.shape[0]
    ax.imshow(mask, cmap=ListedColormap(["white", BLUE]), vmin=0, vmax=1)
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xticks(np.arange(-0.5, n), minor=True)
    ax.set_yticks(np.arange(-0.5, n), minor=True)
    ax.grid(which="minor", color="#888888", linewidth=0.8)
    ax.tick_params(which="both", length=0)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("key $j$")
    ax.set_title(title)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#888888")


def fig_attention_masks() -> Figure:
    masks = attention_masks()
    labels = ["1", "2", "3", "4", "P", "P"]
    height, width = 3.15, 0.275  # inches; axes width as a fraction of the figure
    fig = new_figure(height, layout=None)
    # Placed by hand: constrained layout clips titles that sit above top-side tick labels of square axes.
    axes = [fig.add_axes((left, 0.2, width, width * WIDTH / height)) for left in (0.075, 0.385, 0.695)]
    titles = ["causal: $j \\leq i$", "padding: key $j$ real", "causal AND padding"]
    for ax, mask, title in zip(axes, masks.values(), titles, strict=True):
        draw_mask(ax, mask, title, labels)
    axes[0].set_ylabel("query $i$")
    handles = [
        Patch(facecolor=BLUE, edgecolor="#888888", label="may attend (score kept)"),
        Patch(facecolor="white", edgecolor="#888888", label="masked ($-\\infty$)"),
    ]
    title = "one sequence: 4 real tokens + 2 pad tokens (P), right padding"
    fig.legend(handles=handles, loc="lower center", ncols=2, frameon=False, title=title, title_fontsize=12)
    return fig


# --------------------------------------------------------------------------- MHA / GQA / MQA


def kv_head_of(query_head: int, n_q: int, n_kv: int) -> int:
    """Query head i uses K/V head floor(i / r), r = n_q / n_kv (adjacent heads form a group)."""
    return query_head // (n_q // n_kv)


def draw_box(ax: Axes, x: float, y: float, text: str, color: str) -> None:
    w, h = 0.72, 0.5
    box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", facecolor=color, edgecolor="#333333")
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def draw_head_sharing(ax: Axes, name: str, n_q: int, n_kv: int) -> None:
    palette = matplotlib.colormaps["Set2"].colors
    y_q, y_kv = 1.55, 0.35
    group = n_q // n_kv
    for j in range(n_kv):
        x_kv = j * group + (group - 1) / 2
        for i in range(j * group, (j + 1) * group):
            ax.plot([i, x_kv], [y_q - 0.25, y_kv + 0.25], color="#555555", linewidth=1.2, zorder=1)
        draw_box(ax, x_kv, y_kv, f"KV{j}", palette[j])
    for i in range(n_q):
        draw_box(ax, i, y_q, f"Q{i}", palette[kv_head_of(i, n_q, n_kv)])
    ax.set_xlim(-0.6, n_q - 0.4)
    ax.set_ylim(0, 1.9)
    ax.set_xticks([])
    ax.set_yticks([y_q, y_kv], ["query\nheads", "K/V\nheads"])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ratio = "1" if n_kv == n_q else f"1/{n_q // n_kv}"
    ax.set_title(f"{name}: {n_q} query heads, {n_kv} K/V head{'s' * (n_kv > 1)}  (KV cache × {ratio})", loc="left")


def fig_mha_gqa_mqa() -> Figure:
    fig = new_figure(5.0)
    axes = fig.subplots(3, 1)
    for ax, (name, n_kv) in zip(axes, [("MHA", 8), ("GQA", 2), ("MQA", 1)], strict=True):
        draw_head_sharing(ax, name, 8, n_kv)
    return fig


# --------------------------------------------------------------------------- RoPE


def rope_wavelengths(d: int = 128, base: float = 10000.0) -> np.ndarray:
    """Wavelength 2*pi/theta_i in tokens of each pair i = 0 .. d/2 - 1, theta_i = base^(-2i/d)."""
    theta = base ** (-2.0 * np.arange(d // 2) / d)
    return 2 * np.pi / theta


def draw_rotation(ax: Axes, theta: float, positions: int = 5) -> None:
    phi0 = math.radians(12)
    circle = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(circle), np.sin(circle), color=GREY, linestyle="--", linewidth=1)
    colors = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, positions))
    for m in range(positions):
        a = phi0 + m * theta
        ax.annotate(
            "",
            xy=(math.cos(a), math.sin(a)),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "-|>", "color": colors[m], "linewidth": 2, "mutation_scale": 14},
        )
        ax.text(1.2 * math.cos(a), 1.2 * math.sin(a), f"$m={m}$", ha="center", va="center", fontsize=11)
    ax.add_patch(Arc((0, 0), 0.7, 0.7, theta1=math.degrees(phi0), theta2=math.degrees(phi0 + theta), linewidth=1.5))
    mid = phi0 + theta / 2
    ax.text(0.52 * math.cos(mid), 0.52 * math.sin(mid), "$\\theta_i$", ha="center", va="center", fontsize=12)
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-0.45, 1.45)
    ax.set_aspect("equal")
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("$x_{2i}$")
    ax.set_ylabel("$x_{2i+1}$")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("position $m$: rotate by $m\\theta_i$\n(norm unchanged; $\\theta_i=30°$ here)")


def draw_wavelengths(ax: Axes, d: int = 128, base: float = 10000.0, train_len: int = 4096) -> None:
    lam = rope_wavelengths(d, base)
    i = np.arange(d // 2)
    long = lam > train_len
    ax.semilogy(i[~long], lam[~long], "o", color=BLUE, markersize=3.5)
    ax.semilogy(i[long], lam[long], "o", color=VERMILION, markersize=3.5)
    ax.axhline(train_len, color="#555555", linestyle="--", linewidth=1)
    ax.text(1, train_len * 1.5, f"$L={train_len}$", fontsize=11)
    ax.text(d // 2 - 1, train_len / 2.2, f"{long.sum()} pairs\n$\\lambda_i > L$", ha="right", va="top", color=VERMILION)
    ax.annotate(f"{lam[0]:.1f}", (0, lam[0]), xytext=(6, -4), textcoords="offset points", fontsize=11)
    ax.annotate(f"{lam[-1]:,.0f}", (i[-1], lam[-1]), xytext=(-4, 6), textcoords="offset points", ha="right")
    ax.set_xlabel("pair index $i$")
    ax.set_ylabel("wavelength $2\\pi/\\theta_i$ (tokens)")
    ax.set_ylim(2, 3e5)
    ax.set_title(f"$\\theta_i = {base:.0f}^{{-2i/d}}$, $d={d}$")


def fig_rope_rotation() -> Figure:
    fig = new_figure(3.6)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.15])
    draw_rotation(left, math.radians(30))
    draw_wavelengths(right)
    return fig


# --------------------------------------------------------------------------- ZeRO


def zero_memory_gb(psi: float = 7.5e9, n_d: int = 64, k: int = 12) -> dict[str, tuple[float, float, float]]:
    """Per-GPU (params, grads, optimizer states) in GB (1e9 bytes), mixed-precision Adam.

    fp16 params 2 bytes, fp16 grads 2 bytes, K bytes of optimizer state per parameter
    (fp32 master weights, Adam m and v: K = 12). Rajbhandari et al., ZeRO, SC 2020, Figure 1.
    """
    p, g, o = 2 * psi / 1e9, 2 * psi / 1e9, k * psi / 1e9
    return {
        "Baseline DP": (p, g, o),
        "ZeRO-1": (p, g, o / n_d),
        "ZeRO-2": (p, g / n_d, o / n_d),
        "ZeRO-3": (p / n_d, g / n_d, o / n_d),
    }


def zero_totals_gb(psi: float = 7.5e9, n_d: int = 64, k: int = 12) -> dict[str, float]:
    """Per-GPU model-state totals in GB, rounded to 0.1 as in the paper."""
    return {name: round(sum(parts), 1) for name, parts in zero_memory_gb(psi, n_d, k).items()}


def fig_zero_stages() -> Figure:
    parts = zero_memory_gb()
    totals = zero_totals_gb()
    fig = new_figure(4.2)
    ax = fig.subplots()
    x = np.arange(len(parts))
    stacks = np.array(list(parts.values()))
    labels = ["params (fp16, $2\\Psi$)", "grads (fp16, $2\\Psi$)", "optimizer states ($K\\Psi=12\\Psi$)"]
    bottom = np.zeros(len(parts))
    for col, (label, color) in enumerate(zip(labels, [BLUE, ORANGE, GREEN], strict=True)):
        ax.bar(x, stacks[:, col], bottom=bottom, width=0.6, color=color, edgecolor="white", label=label)
        bottom += stacks[:, col]
    for xi, total in zip(x, totals.values(), strict=True):
        ax.text(xi, total + 2, f"{total:g} GB", ha="center", va="bottom", fontweight="bold")
    formulas = ["$16\\Psi$", "$4\\Psi+12\\Psi/N_d$", "$2\\Psi+14\\Psi/N_d$", "$16\\Psi/N_d$"]
    ax.set_xticks(x, [f"{name}\n{f}" for name, f in zip(parts, formulas, strict=True)])
    zero1_opt = parts["ZeRO-1"][2]
    ax.annotate(
        f"$12\\Psi/N_d$ = {zero1_opt:.1f} GB",
        xy=(1.15, totals["ZeRO-1"] - zero1_opt / 2),
        xytext=(1.45, 52),
        arrowprops={"arrowstyle": "->", "color": "#333333"},
        ha="left",
    )
    ax.set_ylabel("GB per GPU (model states)")
    ax.set_ylim(0, 140)
    ax.legend(loc="upper right", frameon=False)
    ax.set_title("$\\Psi=7.5$B parameters, $N_d=64$ GPUs, mixed-precision Adam ($K=12$)")
    return fig


# --------------------------------------------------------------------------- MoE routing


def moe_router(n_tokens: int = 6, n_experts: int = 8, k: int = 2, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Softmax router probabilities (tokens, experts) and each token's top-k experts, best first."""
    logits = np.random.default_rng(seed).normal(0.0, 1.2, size=(n_tokens, n_experts))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    top = np.argsort(-probs, axis=1)[:, :k]
    return probs, top


def fig_moe_routing() -> Figure:
    probs, top = moe_router()
    n_tokens, n_experts = probs.shape
    fig = new_figure(4.4, layout=None)
    ax = fig.add_axes((0.15, 0.12, 0.5, 0.64))
    ax.imshow(probs, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for t in range(n_tokens):
        for e in range(n_experts):
            p = probs[t, e]
            ax.text(e, t, f"{p:.2f}", ha="center", va="center", fontsize=11, color="white" if p > 0.45 else "black")
        for e in top[t]:
            ax.add_patch(Rectangle((e - 0.5, t - 0.5), 1, 1, fill=False, edgecolor=VERMILION, linewidth=3))
        gates = probs[t, top[t]] / probs[t, top[t]].sum()
        routed = ",  ".join(f"E{e}: {g:.2f}" for e, g in zip(top[t], gates, strict=True))
        ax.text(n_experts - 0.3, t, f"→  {routed}", va="center", fontsize=11)
    ax.text(n_experts - 0.3, -0.75, "top-2 gates\n(renormalized)", va="bottom", fontsize=11)
    ax.set_xticks(range(n_experts), [f"E{e}" for e in range(n_experts)])
    ax.set_yticks(range(n_tokens), [f"token {t + 1}" for t in range(n_tokens)])
    ax.xaxis.set_ticks_position("top")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    load = np.bincount(top.ravel(), minlength=n_experts)
    bottom_ax = ax.secondary_xaxis("bottom")
    bottom_ax.set_xticks(range(n_experts), [str(c) for c in load])
    bottom_ax.tick_params(length=0)
    bottom_ax.set_xlabel("tokens routed to each expert")
    fig.suptitle(f"Router: softmax over {n_experts} experts, top-2 per token (boxed)", x=0.03, y=0.97, ha="left")
    return fig


# --------------------------------------------------------------------------- pipeline bubble


Op = tuple[int, str, int, float, float]  # (stage, "F" or "B", micro-batch, start, duration)


def gpipe_schedule(p: int, m: int, t_fwd: float = 1.0, t_bwd: float = 2.0) -> list[Op]:
    """GPipe: every stage runs all m forwards, then all m backwards (flush at the end)."""
    ops: list[Op] = []
    fwd_end = (m + p - 1) * t_fwd
    for s in range(p):
        for j in range(m):
            ops.append((s, "F", j + 1, (s + j) * t_fwd, t_fwd))
            ops.append((s, "B", j + 1, fwd_end + (p - 1 - s + j) * t_bwd, t_bwd))
    return ops


def bubble_fraction(ops: list[Op], p: int) -> float:
    """Idle share of p x (makespan), measured on the schedule itself."""
    makespan = max(start + dur for _, _, _, start, dur in ops)
    busy = sum(dur for *_, dur in ops)
    return 1 - busy / (p * makespan)


def fig_pipeline_bubble(p: int = 4, m: int = 4) -> Figure:
    ops = gpipe_schedule(p, m)
    frac = bubble_fraction(ops, p)
    assert math.isclose(frac, (p - 1) / (m + p - 1))
    makespan = max(start + dur for *_, start, dur in ops)
    fig = new_figure(3.6)
    ax = fig.subplots()
    for s in range(p):
        ax.add_patch(Rectangle((0, s - 0.4), makespan, 0.8, facecolor="#EEEEEE", hatch="//", edgecolor=GREY))
    for s, kind, j, start, dur in ops:
        color = SKY if kind == "F" else GREEN
        ax.add_patch(Rectangle((start, s - 0.4), dur, 0.8, facecolor=color, edgecolor="white", linewidth=1.5))
        ax.text(start + dur / 2, s, str(j), ha="center", va="center", fontsize=11)
    ax.set_xlim(0, makespan)
    ax.set_xticks(np.arange(0, makespan + 1, 3))
    ax.set_ylim(p - 0.5, -0.5)
    ax.set_yticks(range(p), [f"stage {s + 1}" for s in range(p)])
    ax.set_xlabel("time (1 unit = one forward of one micro-batch; backward = 2)")
    ax.tick_params(axis="y", length=0)
    handles = [
        Patch(facecolor=SKY, label="forward"),
        Patch(facecolor=GREEN, label="backward"),
        Patch(facecolor="#EEEEEE", hatch="//", edgecolor=GREY, label="bubble (idle)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    total = f"bubble / total $=(p-1)/(m+p-1)={p - 1}/{m + p - 1}\\approx{100 * frac:.0f}\\%$"
    ideal = f"bubble / ideal $=(p-1)/m={p - 1}/{m}$"
    ax.set_title(f"GPipe, $p={p}$ stages, $m={m}$ micro-batches\n{total}\n{ideal}")
    return fig


# --------------------------------------------------------------------------- main

FIGURES: dict[str, Callable[[], Figure]] = {
    "attention_masks.png": fig_attention_masks,
    "mha_gqa_mqa.png": fig_mha_gqa_mqa,
    "rope_rotation.png": fig_rope_rotation,
    "zero_stages.png": fig_zero_stages,
    "moe_routing.png": fig_moe_routing,
    "pipeline_bubble.png": fig_pipeline_bubble,
}


def save(fig: Figure, path: Path) -> None:
    # No "Software" text chunk and no timestamp: the same code gives the same bytes.
    fig.savefig(path, dpi=DPI, metadata={"Software": None}, pil_kwargs={"optimize": True})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets", help="output folder (default: assets/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        for name, make in FIGURES.items():
            save(make(), args.out / name)
            print(args.out / name)


if __name__ == "__main__":
    main()
