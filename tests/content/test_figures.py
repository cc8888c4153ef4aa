"""The figures in assets/ come from figures/make_figures.py, and cards show every one of them."""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("matplotlib", reason="figures/make_figures.py needs matplotlib (pip install matplotlib)")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "figures" / "make_figures.py"
ASSETS = ROOT / "assets"
CARDS = ROOT / "cards"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REQUIRED = {"attention_masks.png", "mha_gqa_mqa.png", "rope_rotation.png", "zero_stages.png", "moe_routing.png"}
MAX_WIDTH = 1100
MAX_BYTES = 300_000


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_figures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(out: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk; fails on a bad signature or a truncated file."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG signature"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    assert pos == len(data), "truncated PNG"
    return chunks


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name}: not a PNG"
    (length,) = struct.unpack(">I", data[8:12])
    assert data[12:16] == b"IHDR" and length == 13, f"{path.name}: first chunk is not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


@pytest.fixture(scope="module")
def names(script: ModuleType) -> list[str]:
    return list(script.FIGURES)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    run_script(out)
    return out


def test_script_makes_the_required_figures(names: list[str]) -> None:
    assert REQUIRED.issubset(names)


def test_every_figure_is_a_valid_png(generated: Path, names: list[str]) -> None:
    for name in names:
        path = generated / name
        assert path.is_file(), f"{name} was not written"
        chunks = png_chunks(path.read_bytes())
        kinds = [kind for kind, _ in chunks]
        assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND", name
        # No text or time chunks: nothing that changes from one run to the next.
        assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(kinds), f"{name}: {kinds}"
        width, height = png_size(path)
        assert 0 < width <= MAX_WIDTH and height > 0, f"{name}: {width}x{height}"
        assert path.stat().st_size < MAX_BYTES, f"{name}: {path.stat().st_size} bytes"


def test_generated_figures_match_the_committed_ones(generated: Path, names: list[str]) -> None:
    for name in names:
        committed = ASSETS / name
        assert committed.is_file(), f"assets/{name} is missing: run figures/make_figures.py"
        assert png_size(generated / name) == png_size(committed), f"{name}: regenerate assets/ with the script"


def test_script_is_deterministic(generated: Path, names: list[str], tmp_path: Path) -> None:
    run_script(tmp_path)
    for name in names:
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name


def test_every_committed_figure_is_shown_by_a_card(names: list[str]) -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(CARDS.rglob("*.md")))
    for name in names:
        if not (ASSETS / name).is_file():
            continue
        pattern = rf"!\[[^\]\n]*\]\(\.\./\.\./assets/{re.escape(name)}\)"
        assert re.search(pattern, text), f"assets/{name} is not referenced by any card"


def test_zero_memory_matches_the_paper(script: ModuleType) -> None:
    # Rajbhandari et al., ZeRO (SC 2020), Figure 1: Psi = 7.5B, N_d = 64, K = 12.
    totals = script.zero_totals_gb(psi=7.5e9, n_d=64, k=12)
    assert list(totals.values()) == [120.0, 31.4, 16.6, 1.9]
    exact = [sum(parts) for parts in script.zero_memory_gb(psi=7.5e9, n_d=64, k=12).values()]
    assert exact == pytest.approx([120.0, 30 + 90 / 64, 15 + 105 / 64, 120 / 64])


def test_rope_wavelengths(script: ModuleType) -> None:
    lam = script.rope_wavelengths(d=128, base=10000.0)
    assert len(lam) == 64
    assert lam[0] == pytest.approx(6.283, abs=1e-3)
    assert lam[-1] == pytest.approx(54410, rel=1e-4)
    assert int((lam > 4096).sum()) == 18  # the count the RoPE base card quotes


def test_gpipe_bubble(script: ModuleType) -> None:
    for p, m in [(4, 4), (4, 8), (2, 1)]:
        ops = script.gpipe_schedule(p, m)
        assert script.bubble_fraction(ops, p) == pytest.approx((p - 1) / (m + p - 1))


def test_masks_and_head_groups(script: ModuleType) -> None:
    masks = script.attention_masks(length=6, n_pad=2)
    assert masks["causal"].sum() == 21
    assert not masks["padding"][:, 4:].any() and masks["padding"][:, :4].all()
    assert (masks["combined"] == (masks["causal"] & masks["padding"])).all()
    assert [script.kv_head_of(i, 8, 2) for i in range(8)] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert [script.kv_head_of(i, 8, 1) for i in range(8)] == [0] * 8


def test_moe_router_picks_the_two_largest(script: ModuleType) -> None:
    probs, top = script.moe_router()
    assert probs.shape == (6, 8) and top.shape == (6, 2)
    assert probs.sum(axis=1) == pytest.approx([1.0] * 6)
    for row, chosen in zip(probs, top, strict=True):
        assert sorted(row.tolist(), reverse=True)[:2] == [row[chosen[0]], row[chosen[1]]]
