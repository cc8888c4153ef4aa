"""The zip writer: standard archives (read here by zipfile, and by the real Anki in the import
tests), the same bytes every time."""

from __future__ import annotations

import io
import os
import random
import zipfile
import zlib
from pathlib import Path

import pytest

from deckbuilder import zipwrite


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(zipwrite, "CHUNK", 64 << 10)  # many chunks without megabytes of data
    return zipwrite.CHUNK


def sample(size: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    words = [bytes(rng.choice(b'abcdefgh<>/"= ') for _ in range(rng.randint(1, 9))) for _ in range(300)]
    text = b" ".join(rng.choice(words) for _ in range(size // 4 + 1))
    return (text + rng.randbytes(size // 10))[:size]


@pytest.mark.parametrize("size", [0, 1, 1000, 64 << 10, (64 << 10) + 1, 5 * (64 << 10) + 17])
def test_chunked_deflate_is_one_valid_stream(small_chunks: int, size: int) -> None:
    data = sample(size)
    packed = zipwrite.deflate(data, threads=3)
    assert zlib.decompress(packed, -15) == data
    assert zipwrite.deflate(data, threads=1) == packed  # fixed chunks: the same bytes however run


def test_priming_keeps_the_compression_of_one_stream(small_chunks: int) -> None:
    data = sample(40 * small_chunks, seed=3)
    single = zlib.compressobj(zipwrite.LEVEL, zlib.DEFLATED, -15)
    whole = single.compress(data) + single.flush()
    assert len(zipwrite.deflate(data)) < 1.02 * len(whole)


def test_archive_reads_back_with_zipfile(small_chunks: int, tmp_path: Path) -> None:
    big = tmp_path / "collection.anki2"
    big.write_bytes(sample(3 * small_chunks + 5, seed=1))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    entries: list[tuple[str, bytes | Path]] = [("collection.anki2", big), ("media", b'{"0": "a.png"}'), ("0", empty)]
    archive = zipwrite.zip_bytes(entries)
    assert zipwrite.zip_bytes(entries) == archive
    with zipfile.ZipFile(io.BytesIO(archive)) as read:
        assert read.testzip() is None
        assert read.namelist() == ["collection.anki2", "media", "0"]
        assert read.read("collection.anki2") == big.read_bytes()
        assert read.read("0") == b""
        info = read.getinfo("media")
        assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.compress_type == zipfile.ZIP_DEFLATED
        assert (info.external_attr >> 16) & 0o777 == 0o644


def test_too_many_entries_is_an_error_not_a_broken_zip() -> None:
    with pytest.raises(OSError, match="too many"):
        zipwrite.zip_bytes([(str(i), b"") for i in range(0xFFFF)])


def test_threads_default_matches_the_machine_independent_bytes(tmp_path: Path) -> None:
    data = os.urandom(1000) + sample(zipwrite.CHUNK + 123)
    assert zipwrite.deflate(data, threads=4) == zipwrite.deflate(data, threads=2)
