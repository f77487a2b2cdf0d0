"""The Kaggle "Customer Support on Twitter" (twcs) CSV, streamed.

Quirks handled (see the data's PROVENANCE.md): an optional unnamed pandas index
column, ``in_response_to_tweet_id`` written as a float (``3.0``), dates like
``Tue Oct 31 22:10:47 +0000 2017``, and bare ``\\r`` inside an unquoted field.

A customer tweet's brand is the author of the brand tweet that answered it. The answer
may come before or after the question in the file, so the reader keeps a bounded
window: brand tweets seen recently (by id) and customer tweets still waiting for one
of their responses. Memory stays flat however long the file is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from listener.backfill.records import Position, Record, rejected
from listener.backfill.textio import CsvRow, csv_rows, parse_datetime
from listener.domain import Author, Mention

__all__ = ["AT_EOF", "REPLIED_AT", "TWCS_COLUMNS", "read_twcs"]

TWCS_COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
#: Rows a customer tweet may wait for its brand response before it goes out without.
WINDOW_ROWS = 2_000
#: Key added to ``Mention.raw``: when the brand first answered (as written in the file).
REPLIED_AT = "brand_replied_at"
#: Brand tweets remembered (id -> author) for answers that came earlier in the file.
BRAND_MEMORY = 50_000
#: ``Record.order`` phases, in the order the reader emits them while reading one row:
#: the waiting tweet the row answers, the row's own record, tweets that waited too long.
ANSWERED, OWN, EXPIRED = 0, 1, 2
#: ``Record.order`` of what is emitted once the file has ended.
AT_EOF = 1 << 62


@dataclass(slots=True)
class _Waiting:
    row: CsvRow
    index: int
    values: dict[str, str]
    awaiting: set[str]
    brand: str = ""


def _tweet_id(value: str) -> str:
    """``3.0`` -> ``3``: pandas turned the integer ids into floats."""
    value = value.strip()
    if value.endswith(".0"):
        value = value[:-2]
    return value


class _Twcs:
    def __init__(self, *, source: str, inbound_only: bool, end: Position | None = None) -> None:
        self.source = source
        self.inbound_only = inbound_only
        #: A shard's end: rows from there only answer tweets still waiting (``lookahead``).
        self.end = end
        #: The offset of the row being read (``Record.order``); ``AT_EOF`` after the last.
        self.at = 0
        #: Brand tweet id -> (brand, created_at as written).
        self.brands: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.waiting: OrderedDict[str, _Waiting] = OrderedDict()
        self.columns: list[str] = []

    def resume_after(self, row: CsvRow) -> Position:
        if self.waiting:
            oldest = next(iter(self.waiting.values())).row
            return Position(oldest.start, oldest.first_line - 1, 0)
        if self.end is not None and row.end > self.end.offset:
            return self.end  # a shard never resumes past its own end
        return Position(row.end, row.last_line, 0)

    def mention(self, values: dict[str, str], brand: str) -> Mention:
        parent = _tweet_id(values["in_response_to_tweet_id"]) or None
        from listener.x.mapping import x_text  # twcs is X's own text, entities and all

        author = values["author_id"].strip()
        text = x_text(values["text"])
        return Mention(
            source=self.source,
            id=values["tweet_id"].strip(),
            text=text,
            author=Author(id=author, username=author),
            created_at=parse_datetime(values["created_at"]),
            brand=brand,
            in_reply_to_id=parent,
            addresses_brand=bool(brand) and f"@{brand.lower()}" in text.lower(),
            found_by=f"backfill:{self.source}",
            raw=values,
        )

    def remember_brand(self, tweet_id: str, author: str, created_at: str) -> None:
        self.brands[tweet_id] = (author, created_at)
        if len(self.brands) > BRAND_MEMORY:
            self.brands.popitem(last=False)

    def rows(
        self, fh: BinaryIO, start: Position | None, warm: Position | None = None
    ) -> Iterator[Record]:
        header_rows = csv_rows(fh)
        header = next(header_rows, None)
        if header is None:
            return
        self.columns = [c.strip() for c in header.fields]
        missing = [c for c in TWCS_COLUMNS if c not in self.columns]
        if missing:
            raise ValueError(f"not a twcs file: missing columns {', '.join(missing)}")
        offset, line = header.end, header.last_line
        if start is not None and start.offset > offset:
            offset, line = start.offset, start.line
        if warm is not None and offset > warm.offset >= header.end:
            self.warm_up(fh, warm, offset)
        last: CsvRow | None = None
        for index, row in enumerate(csv_rows(fh, offset=offset, line=line), start=1):
            self.at = row.start
            if self.end is not None and row.start >= self.end.offset:
                if not self.waiting:
                    break
                yield from self.lookahead(row)
                yield from self.expire(index, row)
                continue
            last = row
            yield from self.row(row, index)
            yield from self.expire(index, row)
        self.at = AT_EOF
        while self.waiting and last is not None:
            _, w = self.waiting.popitem(last=False)
            yield self.emit(w, self.resume_after(last), EXPIRED)

    def warm_up(self, fh: BinaryIO, warm: Position, stop: int) -> None:
        """Remember the brand tweets of ``[warm, stop)``: answers that came first."""
        for row in csv_rows(fh, offset=warm.offset, line=warm.line):
            if row.start >= stop:
                return
            values = self.values(row)
            if values is not None and values["inbound"].strip().lower() == "false":
                self.remember_brand(values["tweet_id"].strip(), values["author_id"].strip(),
                                    values["created_at"])

    def lookahead(self, row: CsvRow) -> Iterator[Record]:
        """A row past the shard's end: only its answers to tweets waiting here count."""
        values = self.values(row)
        if values is None:
            return
        tweet_id = values["tweet_id"].strip()
        parent = _tweet_id(values["in_response_to_tweet_id"])
        if values["inbound"].strip().lower() == "false":
            ready = self.answered(parent, tweet_id, brand=values["author_id"].strip(),
                                  at=values["created_at"])
        else:
            ready = self.answered(parent, tweet_id, brand=None)
        for w in ready:
            yield self.emit(w, self.resume_after(row), ANSWERED)

    def values(self, row: CsvRow) -> dict[str, str] | None:
        """A well-formed row's fields by column (what ``row`` would not reject)."""
        if len(row.fields) != len(self.columns):
            return None
        values = dict(zip(self.columns, row.fields, strict=True))
        if not values["tweet_id"].strip().isdigit():
            return None
        if values["inbound"].strip().lower() not in ("true", "false"):
            return None
        try:
            parse_datetime(values["created_at"])
        except ValueError:
            return None
        return values

    def row(self, row: CsvRow, index: int) -> Iterator[Record]:
        if len(row.fields) == 1 and row.fields[0] == "":
            return  # a blank line
        if len(row.fields) != len(self.columns):
            reason = f"expected {len(self.columns)} fields, got {len(row.fields)}"
            yield self.reject(row, reason)
            return
        values = dict(zip(self.columns, row.fields, strict=True))
        tweet_id = values["tweet_id"].strip()
        inbound = values["inbound"].strip().lower()
        if not tweet_id.isdigit() or inbound not in ("true", "false"):
            yield self.reject(row, "bad tweet_id or inbound")
            return
        try:
            parse_datetime(values["created_at"])
        except ValueError as exc:
            yield self.reject(row, str(exc))
            return
        parent = _tweet_id(values["in_response_to_tweet_id"])
        if inbound == "false":
            yield from self.brand_tweet(row, values, tweet_id, parent)
            return
        # A customer tweet answers whatever waits on it, without naming a brand.
        for w in self.answered(parent, tweet_id, brand=None):
            yield self.emit(w, self.resume_after(row), ANSWERED)
        responses = {_tweet_id(r) for r in values["response_tweet_id"].split(",") if r.strip()}
        fallback = self.brands.get(parent, ("", ""))[0]
        answers = sorted((self.brands[r] for r in responses if r in self.brands),
                         key=lambda a: parse_datetime(a[1]))
        if answers:
            values[REPLIED_AT] = answers[0][1]
        if answers or not responses:
            brand = answers[0][0] if answers else fallback
            yield self.emit(_Waiting(row, index, values, set(), brand), self.resume_after(row))
            return
        self.waiting[tweet_id] = _Waiting(row, index, values, responses, fallback)

    def brand_tweet(
        self, row: CsvRow, values: dict[str, str], tweet_id: str, parent: str
    ) -> Iterator[Record]:
        author = values["author_id"].strip()
        self.remember_brand(tweet_id, author, values["created_at"])
        for w in self.answered(parent, tweet_id, brand=author, at=values["created_at"]):
            yield self.emit(w, self.resume_after(row), ANSWERED)
        if not self.inbound_only:
            yield self.emit(_Waiting(row, 0, values, set(), author), self.resume_after(row))

    def answered(
        self, parent: str, responder: str, *, brand: str | None, at: str = ""
    ) -> list[_Waiting]:
        """Note that ``parent`` got the response ``responder``; return tweets now ready."""
        w = self.waiting.get(parent)
        if w is None:
            return []
        w.awaiting.discard(responder)
        if brand is not None:
            w.brand = brand
            w.values[REPLIED_AT] = at
        elif w.awaiting:
            return []
        del self.waiting[parent]
        return [w]

    def expire(self, index: int, row: CsvRow) -> Iterator[Record]:
        while self.waiting:
            oldest = next(iter(self.waiting.values()))
            if index - oldest.index <= WINDOW_ROWS:
                return
            self.waiting.popitem(last=False)
            yield self.emit(oldest, self.resume_after(row), EXPIRED)

    def emit(self, w: _Waiting, resume: Position, phase: int = OWN) -> Record:
        try:
            item = self.mention(w.values, w.brand)
        except (ValueError, KeyError) as exc:
            return self.reject(w.row, str(exc), phase)
        return Record(item, w.row.first_line, resume, self._order(phase))

    def _order(self, phase: int) -> tuple[int, int] | None:
        """Where the one-process reader emits this record (a shard's records only)."""
        return (self.at, phase) if self.end is not None else None

    def reject(self, row: CsvRow, reason: str, phase: int = OWN) -> Record:
        return Record(
            rejected(self.source, row.first_line, reason, row.raw),
            row.first_line,
            self.resume_after(row),
            self._order(phase),
        )


def read_twcs(
    fh: BinaryIO,
    *,
    start: Position | None = None,
    source: str = "twcs",
    inbound_only: bool = True,
    end: Position | None = None,
    warm: Position | None = None,
) -> Iterator[Record]:
    """Records from a twcs CSV opened in binary mode; brand tweets only if not ``inbound_only``.

    ``end`` and ``warm`` read one shard (``shards``): records of the rows before ``end``,
    with brand memory from ``warm`` on and answers found past ``end``.
    """
    return _Twcs(source=source, inbound_only=inbound_only, end=end).rows(fh, start, warm)
