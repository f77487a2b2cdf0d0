"""X API v2 exports: a response, an array of responses, JSONL of responses or tweets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from listener.backfill.readers import detect_format, open_records
from listener.backfill.records import Record
from listener.domain import Mention, Rejected


def tweet(i: int, text: str | None = None, author: str = "11") -> dict[str, Any]:
    return {
        "id": str(1_000 + i),
        "text": text or f"@acme order {i} never arrived",
        "author_id": author,
        "created_at": f"2024-05-01T10:{i:02d}:00.000Z",
        "conversation_id": str(1_000 + i),
        "lang": "en",
        "edit_history_tweet_ids": [str(1_000 + i)],
    }


def response(ids: range) -> dict[str, Any]:
    return {
        "data": [tweet(i) for i in ids],
        "includes": {"users": [{"id": "11", "username": "ann", "name": "Ann",
                                "public_metrics": {"followers_count": 12}}]},
        "meta": {"result_count": len(ids)},
    }


def read_all(path: Path, **kw: Any) -> list[Record]:
    with open_records(path, **kw) as records:
        return list(records)


def ids(records: list[Record]) -> list[str]:
    return [r.item.id for r in records if isinstance(r.item, Mention)]


def test_single_pretty_printed_response(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(response(range(3)), indent=2))
    records = read_all(path, brand="Acme", handles=["acme"])
    assert detect_format(path) == "x-json"
    got = [r.item for r in records]
    assert all(isinstance(m, Mention) for m in got)
    first = next(m for m in got if isinstance(m, Mention) and m.id == "1000")
    assert first.author.username == "ann"
    assert first.brand == "Acme"
    assert first.source == "x"
    assert first.addresses_brand


def test_array_of_responses_resumes_inside_an_element(tmp_path: Path) -> None:
    path = tmp_path / "pages.json"
    pages = [response(range(0, 3)), response(range(3, 5)), response(range(5, 9))]
    path.write_text("[\n" + ",\n".join(json.dumps(p, ensure_ascii=False) for p in pages) + "\n]")
    records = read_all(path)
    everything = ids(records)
    assert sorted(everything) == [str(1_000 + i) for i in range(9)]
    for cut in range(1, len(records)):
        again = ids(read_all(path, start=records[cut - 1].resume))
        assert again == everything[cut:], cut


def test_jsonl_of_responses_and_of_bare_tweets(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(response(range(2))),
        json.dumps(tweet(7, "caf\u00e9 @acme broken")),
        "{oops",
        json.dumps({"id": "12", "text": "no author"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_format(path) == "x-jsonl"
    records = read_all(path)
    assert sorted(ids(records)) == ["1000", "1001", "1007"]
    bad = [r.item for r in records if isinstance(r.item, Rejected)]
    assert [b.reason.split(":")[0] for b in bad] == ["line 3", "line 4"]
    assert "author_id" in bad[1].reason
    resumed = read_all(path, start=records[1].resume)
    assert [r.line for r in resumed] == [2, 3, 4]


def test_truncated_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(response(range(2)))[:-20])
    (record,) = read_all(path)
    assert isinstance(record.item, Rejected)
    assert record.item.reason.startswith("line 1: bad JSON")
