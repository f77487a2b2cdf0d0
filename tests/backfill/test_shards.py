"""Shards: byte ranges cut where the one-process reader starts a record, covering the file."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.backfill.readers import open_records
from listener.backfill.records import Record
from listener.backfill.shards import Unsplittable, plan_shards
from listener.domain import Mention

TWCS = Path(__file__).parent / "data" / "twcs_tiny.csv"

#: Texts with everything that makes CSV hard: quotes, commas, newlines, bare CRs.
_TEXT = st.text(alphabet=st.sampled_from([*'ab ,"\n\r', "é"]), min_size=1, max_size=12)


def _records(path: Path, kind: str, shards: int | None) -> list[tuple[str, int]]:
    """(id or reject reason, first line) of every record, whole or shard by shard."""
    def row(r: Record) -> tuple[str, int]:
        return (r.item.id if isinstance(r.item, Mention) else r.item.reason, r.line)

    if shards is None:
        with open_records(path, kind) as records:  # type: ignore[arg-type]
            return [row(r) for r in records]
    out: list[tuple[str, int]] = []
    for s in plan_shards(path, kind, shards):
        with open_records(path, kind, start=s.start, end=s.end,  # type: ignore[arg-type]
                          warm=s.warm) as records:
            out.extend(row(r) for r in records)
    return out


def _check_cover(path: Path, kind: str, count: int) -> None:
    plan = plan_shards(path, kind, count)
    assert plan[0].start.offset == 0
    assert plan[-1].end.offset == path.stat().st_size
    for a, b in itertools.pairwise(plan):
        assert a.end == b.start  # contiguous: every byte in exactly one shard
        assert a.start.offset < a.end.offset
    data = path.read_bytes()
    for s in plan[1:]:
        assert data[s.start.offset - 1 : s.start.offset] == b"\n"  # a line start
        assert data[: s.start.offset].count(b"\n") == s.start.line


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(_TEXT, min_size=1, max_size=40), count=st.integers(1, 6))
def test_csv_shards_cut_at_record_starts_and_cover_the_file(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], count: int
) -> None:
    path = tmp_path_factory.mktemp("csv") / "rows.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "text", "created_at", "author"])
    for i, t in enumerate(texts):
        w.writerow([str(i), t, "2026-01-01T00:00:00Z", "ann"])
    path.write_bytes(buf.getvalue().encode())
    _check_cover(path, "csv", count)
    # The shards' records, one shard after another, are the file's records.
    assert _records(path, "csv", count) == _records(path, "csv", None)


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(0, 60), min_size=1, max_size=30), count=st.integers(1, 5))
def test_jsonl_shards_cut_at_line_starts(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], count: int
) -> None:
    path = tmp_path_factory.mktemp("jsonl") / "rows.jsonl"
    lines = [json.dumps({"id": str(i), "text": "x" * (n + 1), "author": "a",
                         "created_at": "2026-01-01T00:00:00Z"}) for i, n in enumerate(sizes)]
    path.write_text("\n".join(lines) + "\n")
    _check_cover(path, "jsonl", count)
    assert _records(path, "jsonl", count) == _records(path, "jsonl", None)


def test_twcs_shards_find_the_brand_across_a_boundary(tmp_path: Path) -> None:
    path = tmp_path / "twcs.csv"
    shutil.copyfile(TWCS, path)

    def brands(count: int | None) -> set[tuple[str, str, str]]:
        plans = plan_shards(path, "twcs", count) if count else [None]
        out: set[tuple[str, str, str]] = set()
        for s in plans:
            kw = {"start": s.start, "end": s.end, "warm": s.warm} if s else {}
            with open_records(path, "twcs", **kw) as records:  # type: ignore[arg-type]
                for r in records:
                    m = r.item
                    if isinstance(m, Mention):
                        out.add((m.id, m.brand, str(m.raw.get("brand_replied_at", ""))))
                    else:
                        out.add(("", m.reason, ""))
        return out

    whole = brands(None)
    for count in (2, 3, 5):
        assert brands(count) == whole


def test_an_x_json_file_cannot_be_split(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"data": []}')
    with pytest.raises(Unsplittable, match="JSONL"):
        plan_shards(path, "x-json", 2)


def test_a_file_smaller_than_its_shards_gets_fewer(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text('{"id": "1", "text": "hi", "author": "a", "created_at": "2026-01-01"}\n')
    assert len(plan_shards(path, "jsonl", 4)) == 1
