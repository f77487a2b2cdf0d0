"""The compact column formats (revision 0009) give back everything they were given."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifiers.base import Scores, Signal
from listener.store.codec import (
    clean_text,
    mention_row,
    payload_context,
    row_to_mention,
    row_to_scores,
    row_to_verdict,
    scores_row,
    verdict_row,
)
from listener.store.compact import (
    EMBED_F16,
    EMBED_I8,
    PAYLOAD_DEFLATE,
    PAYLOAD_ZLIB,
    pack_embedding,
    pack_payload,
    pack_reasons,
    pack_scores,
    unpack_embedding,
    unpack_payload,
    unpack_reasons,
    unpack_scores,
)
from listener.store.zdicts import PAYLOAD_V1, REASONS_V1, SCORES_V1
from tests.store import factories as f

clean = st.text(st.characters(codec=None, categories=None), max_size=60).map(clean_text)
probability = st.floats(0, 1)
# What the topic head gives: float32 probabilities rounded to 4 decimals, as doubles.
float32_rounded = probability.map(lambda p: float(np.float32(round(p, 4))))
score_maps = st.dictionaries(clean, probability | float32_rounded, max_size=9) | st.dictionaries(
    clean, float32_rounded, max_size=9
)
any_scores = st.builds(
    Scores,
    sentiment=clean,
    sentiment_scores=score_maps,
    complaint_probability=probability,
    is_complaint=st.booleans(),
    urgency=st.integers(0, 4),
    signals=st.lists(st.builds(Signal, clean, clean, st.sampled_from(["phrase", "model"])),
                     max_size=3).map(tuple),
    topic=clean,
    topic_scores=score_maps,
    explanation=clean,
    model=clean,
    severity_scores=score_maps,
    judgement=st.just({}) | st.fixed_dictionaries({"urgent": probability}),
)


def _same(a: Scores, b: Scores) -> None:
    assert a == b
    # Not part of Scores' equality, and kept exactly all the same.
    assert dict(a.severity_scores) == dict(b.severity_scores)
    assert dict(a.judgement) == dict(b.judgement)
    for x, y in ((a.sentiment_scores, b.sentiment_scores), (a.topic_scores, b.topic_scores),
                 (a.severity_scores, b.severity_scores)):
        assert list(x.items()) == list(y.items())  # the same doubles, in the same order


@given(any_scores)
def test_packed_scores_give_back_every_field(s: Scores) -> None:
    row = scores_row(("x", "1"), dataclasses.replace(s, embedding=(0.6, 0.8)))
    assert set(row) == {"source", "mention_id", "packed", "embedding"}
    back = row_to_scores(row["packed"], row["embedding"])
    _same(back, s)
    assert np.allclose(back.embedding, (0.6, 0.8), atol=4e-3)


#: The shipped model's scores of one post, as it gives them (float32 artefacts included).
REAL = Scores.from_dict(json.loads(
    '{"sentiment":{"label":"negative","scores":{"negative":0.9885,"neutral":0.0106,'
    '"positive":0.0009}},"complaint":{"probability":0.9964,"is_complaint":true},"urgency":'
    '{"level":2,"signals":[],"severity_scores":{"no explicit reproach":0.0625,"disapproval":'
    '0.9207,"accusation":0.0074,"blame":0.0095}},"topic":{"label":"other","scores":'
    '{"delivery":0.0997999981045723,"billing/refund":0.0038999998942017555,"product defect":'
    '0.023499999195337296,"account/login":0.00019999999494757503,"customer service":'
    '0.08420000225305557,"outage":0.001500000013038516,"safety":0.004000000189989805,'
    '"pricing":0.014100000262260437,"other":0.7687000036239624}},"explanation":'
    '"complaint (p=1.00, threshold 0.25), negative; urgency 2 (disapproval)",'
    '"model":"firstreply-triage-minilm-ft/20261201"}'
))


def test_a_real_models_scores_pack_to_a_tenth_of_their_json() -> None:
    blob = pack_scores(REAL)
    assert len(json.dumps(REAL.to_dict())) > 700
    assert len(blob) < 100
    _same(unpack_scores(blob), REAL)
    assert REAL.topic_scores["delivery"] == 0.0997999981045723
    with pytest.raises(ValueError, match="unknown scores format"):
        unpack_scores(b"\x07")


@given(st.lists(clean, max_size=5))
def test_reasons_round_trip(reasons: list[str]) -> None:
    v = dataclasses.replace(f.verdict(("x", "1")), reasons=tuple(reasons))
    assert row_to_verdict(verdict_row(v)) == v


def test_the_policys_reasons_pack_small() -> None:
    reasons = ("no problem words, model unsure", "not urgent → #cx-queue, no ping")
    blob = pack_reasons(reasons)
    assert len(blob) < 16 < len(json.dumps(reasons, ensure_ascii=False))
    assert unpack_reasons(blob) == reasons
    with pytest.raises(ValueError, match="unknown reasons format"):
        unpack_reasons(b"\x07")


json_values = st.recursive(
    clean | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(clean, kids, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(clean, json_values, max_size=5), clean, clean)
def test_a_payload_round_trips_against_its_context(raw: dict[str, Any], text: str,
                                                   other: str) -> None:
    raw = {**raw, "text": text}
    context = text.encode("utf-8")
    blob = pack_payload(raw, context)
    assert blob[0] == PAYLOAD_DEFLATE
    assert unpack_payload(blob, context) == json.loads(json.dumps(raw))
    if other != text:
        # A context that is not the row's own is refused, never inflated into garbage.
        try:
            got: object = unpack_payload(blob, other.encode("utf-8"))
        except ValueError as exc:
            got = str(exc)
        assert got in (json.loads(json.dumps(raw)),
                       "payload does not match its row's text, ids and names")


def test_a_mention_round_trips_its_payload_and_every_column() -> None:
    text = "@AmazonHelp my order 114 never arrived & nobody answers 😡"
    raw = {"": "7", "tweet_id": "7", "author_id": "u7", "inbound": "True",
           "created_at": "Tue Oct 31 22:11:45 +0000 2017", "text": text,
           "response_tweet_id": "", "in_response_to_tweet_id": "6.0"}
    m = f.mention(7, text=text, raw=raw)
    row = mention_row(m, f.T0)
    back = row_to_mention(row)
    assert back == m and back.raw == raw
    # The text and ids cost back-references: well under the text alone.
    assert len(row["payload"]) < len(text.encode("utf-8"))
    assert len(row["payload"]) < len(zlib.compress(json.dumps(raw).encode())) / 2
    changed = {**row, "text": "edited"}
    with pytest.raises(ValueError, match="does not match its row"):
        row_to_mention(changed)


def test_every_earlier_format_still_decodes() -> None:
    raw = {"id": "1", "text": "AT&T [down] 😡", "nested": {"a": [1, None]}}
    old = pack_payload(raw, fmt=PAYLOAD_ZLIB)
    assert old[0] == 0x78 and old == zlib.compress(json.dumps(
        raw, ensure_ascii=False, separators=(",", ":")).encode(), 6)
    assert unpack_payload(old) == unpack_payload(old, b"any context") == raw
    v = np.linspace(-1, 1, 384)
    half = pack_embedding(tuple(v), EMBED_F16)
    assert half is not None and half[0] == EMBED_F16
    assert np.allclose(unpack_embedding(half), v, atol=1e-3)
    new = pack_embedding(tuple(v))
    assert new is not None and new[0] == EMBED_I8 and len(new) == 1 + 4 + 384
    with pytest.raises(ValueError, match="unknown payload format"):
        unpack_payload(b"\x09abc")


def test_the_dictionaries_are_frozen() -> None:
    """A blob inflates only with the bytes it was deflated against: changing a dictionary
    would make every stored row unreadable. A better one is a new format tag."""
    digests = {name: hashlib.sha256(d).hexdigest()[:16]
               for name, d in (("payload", PAYLOAD_V1), ("reasons", REASONS_V1),
                               ("scores", SCORES_V1))}
    assert digests == PINNED


PINNED = {"payload": "7a51abe77c64774c", "reasons": "e2ec0a93de074048",
          "scores": "c54b47b161109af6"}


def test_the_payload_context_is_the_rows_own_strings() -> None:
    m = dataclasses.replace(f.mention(3), text="hello")
    row = mention_row(m, f.T0)
    assert payload_context(row) == "\x00".join(
        ["3", "u3", "user3", "User 3", "hello"]).encode()
    assert row_to_mention({**row, "received_at": f.T0 + timedelta(days=1)}).raw == m.raw
