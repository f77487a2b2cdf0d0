"""Properties of the text cleaning every store applies, and of a SQL round trip of any text."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.base import Signal
from listener.ports import Store
from listener.store import open_store
from listener.store.codec import clean_json, clean_text, dumps_clean
from tests.store import factories as f

# Any code point, lone surrogates and NUL included.
any_text = st.text(st.characters(codec=None, categories=None), max_size=200)


@given(any_text)
def test_clean_text_is_storable_idempotent_and_minimal(text: str) -> None:
    cleaned = clean_text(text)
    assert "\x00" not in cleaned
    cleaned.encode("utf-8")  # no lone surrogates left
    assert clean_text(cleaned) == cleaned
    if "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text):
        assert cleaned is text


@given(st.recursive(any_text | st.integers() | st.booleans() | st.none(),
                    lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(any_text, kids, max_size=3), max_leaves=10))
def test_clean_json_cleans_every_string(value: object) -> None:
    cleaned = clean_json(value)
    assert clean_json(cleaned) == cleaned
    for s in _strings(cleaned):
        assert "\x00" not in s
        s.encode("utf-8")


@given(st.recursive(any_text | st.integers() | st.booleans() | st.none(),
                    lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(any_text, kids, max_size=3), max_leaves=10))
def test_the_json_columns_serializer_writes_what_clean_json_keeps(value: object) -> None:
    text = dumps_clean(value)
    text.encode("utf-8")  # storable
    # The same value clean_json keeps, and nothing but storable strings in it.
    assert json.loads(text) == json.loads(json.dumps(clean_json(value)))
    for string in _strings(json.loads(text)):
        assert "\x00" not in string


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


_ids = itertools.count()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    yield store
    store.close()


# One store serves every example: the ids differ, so the examples don't interfere.
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=any_text)
def test_any_text_round_trips_through_sqlite_as_cleaned(sqlite_store: Store, text: str) -> None:
    m = f.mention(next(_ids), text=text, raw={"text": text})
    sqlite_store.add_mentions([m])
    got = sqlite_store.get_mention(m.key)
    assert got is not None
    assert got.text == clean_text(text)
    assert got.raw == {"text": clean_text(text)}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=any_text)
def test_scores_quoting_any_text_round_trip_through_sqlite_as_cleaned(
    sqlite_store: Store, text: str
) -> None:
    # Evidence and explanations quote the post: the JSON column's serializer cleans them.
    m = f.mention(next(_ids))
    sqlite_store.add_mentions([m])
    s = dataclasses.replace(f.scores(), explanation=f"complaint: {text}",
                            signals=(Signal("money", text, "phrase"),))
    sqlite_store.record_triage(m.key, s, f.verdict(m.key), [])
    [item] = [i for i in sqlite_store.history(f.T0, f.T0 + timedelta(days=1))
              if i.mention.key == m.key]
    assert item.scores is not None
    assert item.scores.explanation == clean_text(f"complaint: {text}")
    assert item.scores.signals[0].evidence == clean_text(text)


def test_compact_embeddings_keep_direction_and_scale() -> None:
    import numpy as np

    from listener.store.compact import EMBED_F16, EMBED_I8, pack_embedding, unpack_embedding

    rng = np.random.default_rng(3)
    v = rng.standard_normal(384)
    v /= np.linalg.norm(v)
    for fmt, size, worst in ((EMBED_I8, 1 + 4 + 384, 1e-3), (EMBED_F16, 1 + 2 * 384, 1e-4)):
        blob = pack_embedding(tuple(v), fmt)
        assert blob is not None and len(blob) == size
        back = np.asarray(unpack_embedding(blob))
        assert abs(float(back @ v) - 1) < worst
        assert np.max(np.abs(back - v)) <= np.max(np.abs(v)) / 254 + 1e-6
    assert pack_embedding(()) is None and unpack_embedding(None) == ()
    assert unpack_embedding(pack_embedding((0.0, 0.0))) == (0.0, 0.0)


def test_payload_is_compressed_json() -> None:
    from listener.store.compact import pack_payload, unpack_payload

    raw = {"text": "AT&T " * 50, "user": {"id": "1", "name": "Zoë"}, "n": [1, 2, None]}
    blob = pack_payload(raw)
    assert len(blob) < len(str(raw)) / 3
    assert unpack_payload(blob) == raw
    assert unpack_payload(None) == {}
