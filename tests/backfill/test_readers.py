"""The file readers: formats, quirks, malformed rows, and resuming from a position."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.backfill.readers import detect_format, open_records
from listener.backfill.records import Position, Record
from listener.backfill.textio import parse_datetime
from listener.domain import Mention, Rejected
from tests.shared_data import SHARED_DATA, needs_shared_data

DATA = Path(__file__).parent / "data"
TWCS = DATA / "twcs_tiny.csv"
SHARED_TWCS = SHARED_DATA / "twcs-sample" / "twcs_first5000.csv"


def read_all(path: Path, fmt: str = "auto", **kw: object) -> list[Record]:
    with open_records(path, fmt, **kw) as records:  # type: ignore[arg-type]
        return list(records)


def mentions(records: list[Record]) -> list[Mention]:
    return [r.item for r in records if isinstance(r.item, Mention)]


def rejects(records: list[Record]) -> list[Rejected]:
    return [r.item for r in records if isinstance(r.item, Rejected)]


def test_twcs_reads_inbound_tweets_with_the_answering_brand() -> None:
    records = read_all(TWCS)
    got = {m.id: m for m in mentions(records)}
    assert detect_format(TWCS) == "twcs"
    assert len(got) == 19
    # Tweet 8's answers (9, 6, 10) include brand tweet 6, which came *before* it.
    assert got["8"].brand == "sprintcare"
    # Tweet 22's answer (25) comes *after* it in the file.
    assert got["22"].brand == "Ask_Spectrum"
    assert got["8"].in_reply_to_id is None
    # When the brand first answered, for response-time analysis.
    assert got["8"].raw["brand_replied_at"] == "Tue Oct 31 21:46:24 +0000 2017"
    assert got["22"].raw["brand_replied_at"] == "Tue Oct 31 22:18:28 +0000 2017"
    assert "brand_replied_at" not in got["2"].raw  # nobody answered it in the file
    assert got["2"].in_reply_to_id == "1"  # the float "1.0" became an id again
    assert got["2"].created_at == datetime(2017, 10, 31, 22, 11, 45, tzinfo=UTC)
    assert got["2"].source == "twcs"
    assert got["2"].author.id == "115712"
    assert got["2"].addresses_brand
    assert all(m.raw["inbound"] == "True" for m in got.values())


def test_twcs_keeps_bare_carriage_returns_inside_the_row() -> None:
    got = {m.id: m for m in mentions(read_all(TWCS))}
    assert got["3399"].text.startswith("@AskPayPal \r\rI just love")
    assert got["3399"].brand == "AskPayPal"


def test_twcs_multiline_quoted_field_is_one_row() -> None:
    records = read_all(TWCS)
    line_of = {r.item.id: r.line for r in records if isinstance(r.item, Mention)}
    # Tweet 38's quoted text spans two lines, so tweet 39 starts on line 42, not 41.
    assert line_of["39"] == 42


def test_twcs_malformed_rows_are_rejected_with_their_line() -> None:
    bad = rejects(read_all(TWCS))
    assert [r.reason for r in bad] == [
        "line 13: unrecognised date 'not a date'",
        "line 14: expected 8 fields, got 4",
    ]
    assert "broken" in bad[0].raw


def test_twcs_outbound_on_request() -> None:
    both = mentions(read_all(TWCS, inbound_only=False))
    assert {m.author.id for m in both} >= {"sprintcare", "Ask_Spectrum", "VerizonSupport"}
    brand_tweet = next(m for m in both if m.id == "1")
    assert brand_tweet.brand == "sprintcare"


@needs_shared_data("twcs-sample", "twcs_first5000.csv")
def test_twcs_sample_matches_its_provenance_counts() -> None:
    records = read_all(SHARED_TWCS)
    assert len(mentions(records)) == 2778
    assert rejects(records) == []


def test_resuming_twcs_from_a_checkpoint_yields_everything_left() -> None:
    records = read_all(TWCS)
    ids = [r.item.id for r in records if isinstance(r.item, Mention)]
    for cut in range(1, len(records)):
        resumed = read_all(TWCS, start=records[cut - 1].resume)
        again = [r.item.id for r in resumed if isinstance(r.item, Mention)]
        done = {r.item.id for r in records[:cut] if isinstance(r.item, Mention)}
        assert set(again) | done == set(ids), cut


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_simple_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "in.csv",
        "id,text,created_at,author\n"
        '1,"my order never came, again",2024-05-01T10:00:00Z,@alice\n'
        "2,,2024-05-01T10:01:00Z,bob\n"
        "3,fine thanks,yesterday,carol\n"
        "4,too,many,fields,here\n"
        '5,"two\nlines",2024-05-01 10:02:00,dave\n',
    )
    records = read_all(path, brand="Acme")
    assert detect_format(path) == "csv"
    (first, last) = mentions(records)
    assert first.text == "my order never came, again"
    assert first.author.username == "alice"
    assert first.brand == "Acme"
    assert first.source == "import"
    assert last.text == "two\nlines"
    assert last.created_at == datetime(2024, 5, 1, 10, 2, tzinfo=UTC)
    assert [r.reason for r in rejects(records)] == [
        "line 3: missing text",
        "line 4: unrecognised date 'yesterday'",
        "line 5: expected 4 fields, got 5",
    ]


def test_simple_jsonl_with_resume(tmp_path: Path) -> None:
    rows = [
        {"id": "a1", "text": "hello", "created_at": "2024-05-01T10:00:00+02:00", "author": "x",
         "brand": "Zed"},
        "not json at all",
        {"id": "a2", "text": "world", "created_at": 1714557600, "author_id": "42"},
        ["a", "list"],
    ]
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path = write(tmp_path / "in.jsonl", "\n".join(lines) + "\n\n")
    assert detect_format(path) == "jsonl"
    records = read_all(path)
    got = mentions(records)
    assert [m.id for m in got] == ["a1", "a2"]
    assert got[0].created_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert got[0].brand == "Zed"
    assert got[1].author.id == "42"
    assert [r.reason.split(":")[0] for r in rejects(records)] == ["line 2", "line 4"]
    resumed = read_all(path, start=records[1].resume)
    assert [r.line for r in resumed] == [3, 4]


def test_position_round_trips_and_rejects_garbage() -> None:
    assert Position.decode(Position(10, 2, 1).encode()) == Position(10, 2, 1)
    with pytest.raises(ValueError, match="position"):
        Position.decode("12")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue Oct 31 22:10:47 +0000 2017", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("2017-10-31T22:10:47.000Z", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("2017-10-31 23:10:47+01:00", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("1509487847", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_the_demo_sample_is_a_simple_jsonl() -> None:
    demo = Path(__file__).resolve().parents[2] / "listener" / "demo" / "sample.jsonl"
    assert detect_format(demo) == "jsonl"
    got = mentions(read_all(demo))
    assert len(got) == 359
    assert {m.brand for m in got} >= {"Spotify"}
