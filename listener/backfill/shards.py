"""Split a backfill file into byte ranges that parallel workers read on their own.

A shard is ``[start, end)`` of the file. Every boundary is where the one-process reader
would itself begin a record, so the shards' records, read one after another, are the
file's records:

- ``jsonl`` / ``x-jsonl``: at a line start (a JSON line holds no raw newline);
- ``csv`` / ``twcs``: at a CSV record start, found by the same parser the reader uses
  (``textio.csv_rows``), so a quoted field holding newlines is never cut. That is one
  parse of the file in the parent, a few seconds per million rows, next to minutes of
  model time;
- ``x-json`` (a response, or an array of them, perhaps pretty-printed) cannot be cut at
  a byte offset without parsing it whole: ``Unsplittable``.

twcs needs the rows around a boundary: a customer tweet's brand is the author of the
brand tweet that answered it, which may sit on either side. A twcs shard therefore
warms up from ``warm`` (``LOOKBEHIND`` rows before its start: brand tweets only) and
reads past its end for the answers its waiting tweets still expect (``twcs``).
"""

from __future__ import annotations

import io
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from listener.backfill.records import Position
from listener.backfill.textio import csv_rows
from listener.backfill.twcs import WINDOW_ROWS

__all__ = ["LOOKBEHIND", "Shard", "Unsplittable", "Until", "plan_shards"]

#: twcs rows read before a shard's start for brand answers that came first (in the
#: 2017 corpus an answer precedes its question by at most a few dozen rows).
LOOKBEHIND = WINDOW_ROWS
_CHUNK = 1 << 20


class Unsplittable(ValueError):
    """This file's format cannot be cut into byte ranges safely."""


@dataclass(frozen=True, slots=True)
class Shard:
    """One worker's part of the file: records that begin in ``[start, end)``."""

    index: int
    count: int
    start: Position
    end: Position
    #: twcs: where to start reading brand tweets for memory (``start`` for others).
    warm: Position

    @property
    def size(self) -> int:
        return self.end.offset - self.start.offset


def plan_shards(path: Path, kind: str, count: int) -> list[Shard]:
    """``count`` shards of about equal bytes (fewer when the file has fewer records)."""
    if kind == "x-json":
        raise Unsplittable(
            "an x-json file (a JSON response or an array of them) cannot be split by byte "
            "range; convert it to JSONL (one response or tweet per line) or use --workers 1"
        )
    size = path.stat().st_size
    targets = [size * k // count for k in range(1, count)]
    with path.open("rb") as fh:
        cuts = _csv_cuts(fh, targets) if kind in ("csv", "twcs") else _line_cuts(fh, targets)
    starts = [Position(0, 0, 0)]
    warms = [Position(0, 0, 0)]
    for at, warm in cuts:
        if at.offset > starts[-1].offset and at.offset < size:
            starts.append(at)
            warms.append(warm)
    end = Position(size, _lines_before(path, size), 0)
    ends = [*starts[1:], end]
    n = len(starts)
    return [Shard(i, n, starts[i], ends[i], warms[i]) for i in range(n)]


def _line_cuts(fh: BinaryIO, targets: list[int]) -> list[tuple[Position, Position]]:
    out: list[tuple[Position, Position]] = []
    for target in targets:
        fh.seek(max(target - 1, 0))
        fh.readline()  # to the start of the next line
        at = fh.tell()
        pos = Position(at, _count_newlines(fh, at), 0)
        out.append((pos, pos))
    return out


def _csv_cuts(fh: BinaryIO, targets: list[int]) -> list[tuple[Position, Position]]:
    """The first record start at or after each target, and the warm-up row before it."""
    out: list[tuple[Position, Position]] = []
    recent: deque[Position] = deque(maxlen=LOOKBEHIND + 1)
    pending = iter(targets)
    target = next(pending, None)
    header = next(csv_rows(fh), None)
    if header is None or target is None:
        return out
    for row in csv_rows(fh, offset=header.end, line=header.last_line):
        here = Position(row.start, row.first_line - 1, 0)
        recent.append(here)
        while target is not None and row.start >= target:
            out.append((here, recent[0]))
            target = next(pending, None)
        if target is None:
            break
    return out


def _count_newlines(fh: BinaryIO, upto: int) -> int:
    fh.seek(0)
    n, left = 0, upto
    while left > 0:
        chunk = fh.read(min(_CHUNK, left))
        if not chunk:
            break
        n += chunk.count(b"\n")
        left -= len(chunk)
    return n


def _lines_before(path: Path, offset: int) -> int:
    with path.open("rb") as fh:
        return _count_newlines(fh, offset)


class Until(io.RawIOBase):
    """A binary file that ends at ``end``: a reader given it stops at the shard's end.

    Boundaries are record starts, so no line is ever cut by ``end``.
    """

    def __init__(self, fh: BinaryIO, end: int) -> None:
        super().__init__()
        self._fh = fh
        self._end = end

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def _left(self, size: int | None) -> int:
        left = max(self._end - self._fh.tell(), 0)
        return left if size is None or size < 0 else min(size, left)

    def read(self, size: int | None = -1) -> bytes:
        return self._fh.read(self._left(size))

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        left = self._left(size)
        return self._fh.readline(left) if left else b""
