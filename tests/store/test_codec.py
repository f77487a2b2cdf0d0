"""Properties of the text cleaning every store applies, and of a SQL round trip of any text."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listener.ports import Store
from listener.store import open_store
from listener.store.codec import clean_json, clean_text
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
