"""Streaming readers for backfill files: each yields ``Record``s, never loading a file whole.

Formats:

- ``x-json``: an X API v2 response (``data``/``includes``), or a JSON array of them;
- ``x-jsonl``: one X API v2 response, or one tweet object, per line;
- ``twcs``: the Kaggle "Customer Support on Twitter" CSV (see ``twcs``);
- ``csv`` / ``jsonl``: simple rows with ``id``, ``text``, ``created_at``, ``author``
  (optional ``brand``, ``author_id``, ``conversation_id``, ``in_reply_to_id``, ``lang``,
  and the author's ``followers`` and ``verified_type``; ``handle`` or ``brand_handle``
  (the brand's X handle) and ``addressed`` say whether the post addresses the brand).

A row that cannot be parsed becomes a ``Rejected`` whose reason starts with its line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from listener.backfill.records import Position, Record, rejected
from listener.backfill.textio import csv_rows, lines, parse_datetime
from listener.backfill.twcs import TWCS_COLUMNS, read_twcs
from listener.backfill.xfiles import read_x_json, read_x_jsonl
from listener.domain import Author, Mention

__all__ = [
    "FORMATS",
    "Format",
    "detect_format",
    "mention_from_row",
    "open_records",
    "read_csv",
    "read_jsonl",
]

Format = Literal["x-json", "x-jsonl", "twcs", "csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("x-json", "x-jsonl", "twcs", "csv", "jsonl")
DEFAULT_SOURCE: Mapping[str, str] = {
    "x-json": "x",
    "x-jsonl": "x",
    "twcs": "twcs",
    "csv": "import",
    "jsonl": "import",
}


def mention_from_row(
    row: Mapping[str, Any], *, source: str, brand: str = "", default_time: datetime | None = None
) -> Mention:
    """A simple ``id,text,created_at,author`` row; ``ValueError`` says what is wrong.

    ``default_time`` stands in for a missing ``created_at`` (``triage`` of a table of
    posts); without it the time is required."""

    def field(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    ident = field("id")
    if not ident:
        raise ValueError("missing id")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing text")
    created = row.get("created_at")
    if created is None or (isinstance(created, str) and not created.strip()):
        if default_time is None:
            raise ValueError("missing created_at")
        created_at = default_time
    else:
        created_at = parse_datetime(str(created))
    author = field("author") or field("author_id")
    username = author.lstrip("@")
    followers = field("followers") or "0"
    if not followers.isdigit():
        raise ValueError(f"followers must be a whole number, not {followers!r}")
    handle = (field("handle") or field("brand_handle")).lstrip("@")
    addressed = field("addressed").lower() in ("true", "1", "yes") or (
        bool(handle) and f"@{handle.lower()}" in text.lower()
    )
    return Mention(
        source=source,
        id=ident,
        text=text,
        # No author at all is nobody in particular, not one author of every such row.
        author=Author(id=field("author_id") or username or f"unknown:{ident}", username=username,
                      followers=int(followers), verified_type=field("verified_type") or "none"),
        created_at=created_at,
        brand=field("brand") or brand,
        conversation_id=field("conversation_id") or None,
        in_reply_to_id=field("in_reply_to_id") or None,
        lang=field("lang") or None,
        addresses_brand=addressed,
        found_by=f"backfill:{source}",
        raw=dict(row),
    )


def read_csv(
    fh: BinaryIO, *, start: Position | None = None, source: str = "import", brand: str = "",
    default_time: datetime | None = None,
) -> Iterator[Record]:
    """A CSV with a header naming at least ``id``, ``text`` and ``created_at``."""
    header = next(csv_rows(fh), None)
    if header is None:
        return
    columns = [c.strip().lower() for c in header.fields]
    required = {"id", "text"} if default_time is not None else {"id", "text", "created_at"}
    if not required <= set(columns):
        raise ValueError(f"CSV header must name {', '.join(sorted(required))}")
    offset, line = header.end, header.last_line
    if start is not None and start.offset > offset:
        offset, line = start.offset, start.line
    for row in csv_rows(fh, offset=offset, line=line):
        resume = Position(row.end, row.last_line, 0)
        if row.fields == [""]:
            continue
        if len(row.fields) != len(columns):
            reason = f"expected {len(columns)} fields, got {len(row.fields)}"
            yield Record(rejected(source, row.first_line, reason, row.raw), row.first_line, resume)
            continue
        try:
            item = mention_from_row(dict(zip(columns, row.fields, strict=True)), source=source,
                                    brand=brand, default_time=default_time)
        except ValueError as exc:
            yield Record(rejected(source, row.first_line, str(exc), row.raw), row.first_line,
                         resume)
            continue
        yield Record(item, row.first_line, resume)


def read_jsonl(
    fh: BinaryIO, *, start: Position | None = None, source: str = "import", brand: str = "",
    default_time: datetime | None = None,
) -> Iterator[Record]:
    """One JSON object per line with at least ``id``, ``text`` and ``created_at``."""
    offset, line = (start.offset, start.line) if start is not None else (0, 0)
    for ln in lines(fh, offset=offset, line=line):
        resume = Position(ln.end, ln.number, 0)
        if not ln.text.strip():
            continue
        try:
            obj = json.loads(ln.text)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            item = mention_from_row(obj, source=source, brand=brand, default_time=default_time)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            yield Record(rejected(source, ln.number, str(exc), ln.text), ln.number, resume)
            continue
        yield Record(item, ln.number, resume)


def detect_format(path: Path) -> Format:
    """Guess the format from the extension and the first line."""
    with path.open("rb") as fh:
        head = fh.readline(64_000).decode("utf-8", errors="replace").strip()
    suffix = path.suffix.lower()
    if suffix == ".csv" or (suffix not in (".json", ".jsonl", ".ndjson") and "," in head
                            and not head.startswith(("{", "["))):
        columns = {c.strip().strip('"') for c in head.split(",")}
        return "twcs" if set(TWCS_COLUMNS) <= columns else "csv"
    if suffix == ".json" or head.startswith("["):
        return "x-json"
    try:
        first = json.loads(head)
    except ValueError:
        # A pretty-printed single response does not fit on one line.
        return "x-json"
    if isinstance(first, dict) and _looks_like_x(first):
        return "x-jsonl"
    return "jsonl"


def _looks_like_x(obj: Mapping[str, Any]) -> bool:
    """An X response or tweet object; simple rows name an ``author`` or a ``brand``."""
    if "data" in obj or "edit_history_tweet_ids" in obj:
        return True
    return "author_id" in obj and not {"author", "brand"} & obj.keys()


Reader = Callable[..., Iterator[Record]]
_READERS: Mapping[str, Reader] = {
    "x-json": read_x_json,
    "x-jsonl": read_x_jsonl,
    "twcs": read_twcs,
    "csv": read_csv,
    "jsonl": read_jsonl,
}


@contextmanager
def open_records(
    path: str | Path,
    fmt: Format | Literal["auto"] = "auto",
    *,
    start: Position | None = None,
    source: str | None = None,
    brand: str = "",
    handles: Sequence[str] = (),
    inbound_only: bool = True,
    default_time: datetime | None = None,
    end: Position | None = None,
    warm: Position | None = None,
) -> Iterator[Iterator[Record]]:
    """Open ``path`` and give its records from ``start``; the file closes on exit.

    ``end`` stops at a shard's end (``shards``: records that begin before it); ``warm``
    is where a twcs shard starts reading brand tweets for memory.

    ``source`` defaults per format (``twcs``; ``import`` for simple files). X exports are
    always ``x`` (``listener.x.mapping``), so they dedupe against what the poller stored.
    ``brand``/``handles`` name the brand the mentions are about (twcs files name it).
    ``default_time`` lets simple rows (``csv``/``jsonl``) leave out ``created_at``.
    """
    path = Path(path)
    kind: Format = detect_format(path) if fmt == "auto" else fmt
    if kind not in _READERS:
        raise ValueError(f"unknown format {kind!r}; choose from {', '.join(FORMATS)}")
    kwargs: dict[str, Any] = {"start": start, "source": source or DEFAULT_SOURCE[kind]}
    if kind == "twcs":
        kwargs["inbound_only"] = inbound_only
        if end is not None:
            kwargs.update(end=end, warm=warm)
    else:
        kwargs["brand"] = brand
    if kind in ("x-json", "x-jsonl"):
        kwargs["handles"] = handles
    if kind in ("csv", "jsonl") and default_time is not None:
        kwargs["default_time"] = default_time
    with path.open("rb") as fh:
        if end is not None and kind != "twcs":
            from listener.backfill.shards import Until

            yield _READERS[kind](Until(fh, end.offset), **kwargs)
        else:
            yield _READERS[kind](fh, **kwargs)
