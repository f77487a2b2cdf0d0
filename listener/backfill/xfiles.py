"""X API v2 exports: a response (or a JSON array of responses), or JSONL of them / of tweets.

Only ``listener.x`` knows X's JSON; this module finds the response objects in a file,
one at a time, and hands each to ``listener.x.mapping``. A response holds at most 500
posts, so decoding one element at a time keeps memory bounded by the largest response.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, BinaryIO

from listener.backfill.records import Position, Record, rejected
from listener.backfill.textio import lines
from listener.domain import Mention, Rejected

__all__ = ["map_payload", "read_x_json", "read_x_jsonl"]

_CHUNK = 1 << 20
_WS = " \t\r\n"


def map_payload(
    obj: Any, *, line: int, brand: str = "", handles: Sequence[str] = ()
) -> list[Mention | Rejected]:
    """One X v2 response, or one bare tweet object, as mentions and rejects."""
    from listener.x import mapping  # X's JSON shape lives in listener.x alone

    if not isinstance(obj, Mapping):
        return [rejected(mapping.SOURCE, line, "not a JSON object", json.dumps(obj)[:2000])]
    response: Mapping[str, Any] = obj
    if "data" not in obj and "id" in obj and "text" in obj:
        response = {"data": [obj]}
    ctx = mapping.BrandContext(brand=brand, handles=frozenset(handles))
    page = mapping.map_page(
        response, ctx=ctx, found_by="backfill:file", received_at=datetime.now(UTC)
    )
    out: list[Mention | Rejected] = [*page.mentions]
    out.extend(replace(r, reason=f"line {line}: {r.reason}") for r in page.rejected)
    return out


def _records(
    items: Sequence[Mention | Rejected], line: int, at: Position, after: Position, skip: int
) -> Iterator[Record]:
    last = len(items) - 1
    for i, item in enumerate(items):
        if i < skip:
            continue
        resume = after if i == last else Position(at.offset, at.line, i + 1)
        yield Record(item, line, resume)


def read_x_jsonl(
    fh: BinaryIO,
    *,
    start: Position | None = None,
    source: str = "x",
    brand: str = "",
    handles: Sequence[str] = (),
) -> Iterator[Record]:
    """One X v2 response, or one tweet object, per line."""
    offset, line = (start.offset, start.line) if start is not None else (0, 0)
    skip = start.skip if start is not None else 0
    for ln in lines(fh, offset=offset, line=line):
        if not ln.text.strip():
            continue
        after = Position(ln.end, ln.number, 0)
        try:
            obj = json.loads(ln.text)
        except ValueError as exc:
            yield Record(rejected(source, ln.number, f"bad JSON: {exc}", ln.text), ln.number,
                         after)
            continue
        items = map_payload(obj, line=ln.number, brand=brand, handles=handles)
        yield from _records(items, ln.number, Position(ln.start, ln.number - 1, 0), after, skip)
        skip = 0


def read_x_json(
    fh: BinaryIO,
    *,
    start: Position | None = None,
    source: str = "x",
    brand: str = "",
    handles: Sequence[str] = (),
) -> Iterator[Record]:
    """A response object, a JSON array of them, or several concatenated."""
    skip = start.skip if start is not None else 0
    for value, line, at, after in _json_values(fh, start):
        if isinstance(value, _Broken):
            yield Record(rejected(source, line, value.reason, value.raw), line, after)
            return
        items = map_payload(value, line=line, brand=brand, handles=handles)
        yield from _records(items, line, at, after, skip)
        skip = 0


class _Broken:
    def __init__(self, reason: str, raw: str) -> None:
        self.reason = reason
        self.raw = raw


def _json_values(
    fh: BinaryIO, start: Position | None
) -> Iterator[tuple[Any, int, Position, Position]]:
    """(value, first line, its position, the position after it) for each top-level value.

    Inside a top-level array the values are its elements, so a resume can seek straight
    to an element.
    """
    fh.seek(0)
    first = fh.read(4096).lstrip()
    in_array = first.startswith(b"[")
    offset, line = (start.offset, start.line) if start is not None else (0, 0)
    if in_array and offset == 0:
        offset = _after_bracket(fh)
    fh.seek(offset)
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buf, eof = "", False
    while True:
        # Skip separators between values.
        i = 0
        while True:
            while i < len(buf) and (buf[i] in _WS or (in_array and buf[i] == ",")):
                i += 1
            if i < len(buf) or eof:
                break
            chunk = fh.read(_CHUNK)
            eof = not chunk
            buf += utf8.decode(chunk, final=eof)
        line += buf.count("\n", 0, i)
        offset += len(buf[:i].encode("utf-8"))
        buf = buf[i:]
        if not buf or (in_array and buf[0] == "]"):
            return
        at = Position(offset, line, 0)
        while True:
            try:
                value, end = decoder.raw_decode(buf)
                break
            except ValueError as exc:
                if eof:
                    yield _Broken(f"bad JSON: {exc}", buf[:2000]), line + 1, at, at
                    return
                chunk = fh.read(_CHUNK)
                eof = not chunk
                buf += utf8.decode(chunk, final=eof)
        first_line = line + 1
        line += buf.count("\n", 0, end)
        offset += len(buf[:end].encode("utf-8"))
        buf = buf[end:]
        yield value, first_line, at, Position(offset, line, 0)


def _after_bracket(fh: BinaryIO) -> int:
    """Byte offset just after the opening ``[`` of a top-level array."""
    fh.seek(0)
    pos = 0
    while True:
        b = fh.read(1)
        if not b:
            return pos
        pos += 1
        if b == b"[":
            return pos
