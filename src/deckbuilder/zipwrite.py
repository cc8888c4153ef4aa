"""A deterministic zip writer whose big entries are deflated on several threads.

`zipfile` compresses an entry on one core. An `.apkg`'s collection is tens of MB and its
compression was the longest serial step of a build, so here each entry is cut into chunks that
are deflated in parallel (zlib releases the GIL), each primed with the 32 KiB before it, and
joined into one ordinary deflate stream (the method of pigz). Fixed chunking keeps the bytes
the same on every run and machine. Only what an `.apkg` needs: no zip64, no encryption.
"""

from __future__ import annotations

import functools
import os
import struct
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 4 << 20
WINDOW = 32 << 10  # deflate's look-back: a chunk primed with this much compresses as if joined
LEVEL = 6
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest zip date: no build time leaks in
DOS_TIME = 0
VERSION = 20  # 2.0: deflate
MADE_BY = (3 << 8) | VERSION  # Unix, so that the permission bits below are read
FILE_MODE = 0o100644 << 16
LIMIT = 0xFFFFFFFF


Reader = Callable[[int, int], bytes]  # (offset, length) -> the bytes there


def deflate(data: bytes, threads: int = 2) -> bytes:
    """A raw deflate stream of `data` (see `deflate_parts`)."""
    return deflate_parts(_slicer(data), len(data), threads)[0]


def deflate_parts(read: Reader, size: int, threads: int = 2) -> tuple[bytes, int]:
    """A raw deflate stream of `size` bytes and their CRC-32, compressed in CHUNK-sized parts,
    `threads` at a time; at most that many chunks are held at once."""
    out: list[bytes] = []
    crc = 0

    def part(start: int) -> tuple[bytes, memoryview]:
        primer_start = max(0, start - WINDOW)
        data = memoryview(read(primer_start, start + CHUNK - primer_start))
        primer, chunk = bytes(data[: start - primer_start]), data[start - primer_start :]
        compressor = (
            zlib.compressobj(LEVEL, zlib.DEFLATED, -15, zdict=primer)
            if primer
            else zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        )
        end = zlib.Z_FINISH if start + CHUNK >= size else zlib.Z_SYNC_FLUSH
        return compressor.compress(chunk) + compressor.flush(end), chunk

    starts = list(range(0, size, CHUNK)) or [0]
    with ThreadPoolExecutor(threads) as pool:
        for wave in range(0, len(starts), threads):
            for packed, chunk in pool.map(part, starts[wave : wave + threads]):
                crc = zlib.crc32(chunk, crc)
                out.append(packed)
    return b"".join(out), crc


def zip_bytes(entries: Sequence[tuple[str, bytes | Path]], threads: int = 2) -> bytes:
    """A zip archive of (name, content or file) in the given order, every entry deflated.

    Files are read a few chunks at a time, never whole.
    """
    if len(entries) >= 0xFFFF:
        raise OSError(f"{len(entries)} files are too many for a zip without zip64")
    out = bytearray()
    directory = bytearray()
    for name, source in entries:
        raw = name.encode("ascii")
        if isinstance(source, bytes):
            size = len(source)
            packed, crc = deflate_parts(_slicer(source), size, threads)
        else:
            with source.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                packed, crc = deflate_parts(functools.partial(_pread, file.fileno()), size, threads)
        if max(size, len(out) + len(packed)) >= LIMIT:
            raise OSError(f"{name} is too large for a zip without zip64")
        fields = (VERSION, 0, 8, DOS_TIME, DOS_DATE, crc, len(packed), size, len(raw), 0)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + raw + packed
        directory += struct.pack("<IH", 0x02014B50, MADE_BY)
        directory += struct.pack("<HHHHHIIIHH", *fields) + struct.pack("<HHHII", 0, 0, 0, FILE_MODE, offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(out), 0)
    out += directory + end
    return bytes(out)


def _slicer(data: bytes) -> Reader:
    return lambda offset, length: data[offset : offset + length]


def _pread(fd: int, offset: int, length: int) -> bytes:
    return os.pread(fd, length, offset)
