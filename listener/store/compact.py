"""Compact column formats: embeddings as int8 + scale (float16 before 0009) behind a tag
byte; the raw payload, the scores and a verdict's reasons deflated against preset
dictionaries (0009).

Every blob starts with a byte naming its format, so rows of every revision decode: a
migration converts them, and the readers would still understand one it had not.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from classifiers.base import Scores, Signal
from listener.store.zdicts import PAYLOAD_V1, REASONS_V1, SCORES_V1

__all__ = [
    "EMBED_F16",
    "EMBED_FORMAT",
    "EMBED_I8",
    "PAYLOAD_DEFLATE",
    "PAYLOAD_FORMAT",
    "PAYLOAD_ZLIB",
    "pack_embedding",
    "pack_payload",
    "pack_reasons",
    "pack_scores",
    "unpack_embedding",
    "unpack_float32",
    "unpack_payload",
    "unpack_reasons",
    "unpack_scores",
]

#: Embedding blob formats (revision 0006): a tag byte, then the vector.
EMBED_F16, EMBED_I8 = 1, 2
#: How embeddings are stored (0009; float16 in 0006-0008): int8 with a per-vector scale,
#: 389 bytes for 384 dimensions (float16: 769). Measured on the real model's embeddings
#: (``bench_compact.py --incidents``): replaying the demo sample (359 posts) and the twcs
#: sample (2,778) with the configured rules gave every post the incident float16 gave it;
#: squeezed into one afternoon (crowds of candidates), 2 of 2,778 twcs posts moved at
#: similarity 0.75 (22 at 0.6, none at 0.9). The mean cosine error is 3e-4.
EMBED_FORMAT = EMBED_I8


def pack_embedding(embedding: Sequence[float], fmt: int = EMBED_FORMAT) -> bytes | None:
    """``embedding`` compacted: float16 (tag 1) or int8 with a float32 scale (tag 2)."""
    if not embedding:
        return None
    v = np.asarray(embedding, dtype=np.float32)
    if fmt == EMBED_F16:
        half: bytes = v.astype("<f2").tobytes()
        return bytes([EMBED_F16]) + half
    peak = float(np.abs(v).max())
    scale = peak / 127 if peak > 0 else 1.0
    q = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
    head: bytes = np.asarray([scale], dtype="<f4").tobytes()
    body: bytes = q.tobytes()
    return bytes([EMBED_I8]) + head + body


def unpack_embedding(blob: bytes | None) -> tuple[float, ...]:
    """A stored embedding (``pack_embedding``'s formats)."""
    if not blob:
        return ()
    if blob[0] == EMBED_F16:
        return tuple(np.frombuffer(blob, dtype="<f2", offset=1).astype(np.float64).tolist())
    if blob[0] == EMBED_I8:
        scale = float(np.frombuffer(blob, dtype="<f4", count=1, offset=1)[0])
        q = np.frombuffer(blob, dtype=np.int8, offset=5)
        return tuple((q.astype(np.float64) * scale).tolist())
    raise ValueError(f"unknown embedding format {blob[0]}")


def unpack_float32(blob: bytes) -> tuple[float, ...]:
    """An embedding as revisions before 0006 stored it: float32 little-endian."""
    return tuple(np.frombuffer(blob, dtype="<f4").astype(np.float64).tolist())


#: Payload formats. 0006-0008: a zlib stream, whose first byte is always 0x78 (its
#: header), so it needs no tag. 0009: tag 1, the CRC-32 of the JSON (4 bytes, little
#: endian), then raw deflate against ``PAYLOAD_V1`` followed by the row's own strings
#: (``context``): the text, ids and names the payload repeats cost a back-reference
#: instead of a second copy.
PAYLOAD_ZLIB, PAYLOAD_DEFLATE = 0x78, 1
PAYLOAD_FORMAT = PAYLOAD_DEFLATE
#: zlib's level 6 (its default) costs ~3x level 1 for ~10 % smaller payloads.
_ZLIB_LEVEL = 6


def _deflate(data: bytes, zdict: bytes) -> bytes:
    c = zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return c.compress(data) + c.flush()


def _inflate(data: bytes, zdict: bytes) -> bytes:
    d = zlib.decompressobj(-15, zdict)
    return d.decompress(data) + d.flush()


def pack_payload(
    raw: Mapping[str, Any], context: bytes = b"", fmt: int = PAYLOAD_FORMAT
) -> bytes:
    """The raw payload as compact JSON, compressed (``fmt``: see ``PAYLOAD_FORMAT``).

    ``context`` (``PAYLOAD_DEFLATE``): bytes the reader will have again, from the row's
    other columns; ``unpack_payload`` needs the very same bytes.
    """
    from listener.store.codec import dumps_clean  # codec imports this module

    data = dumps_clean(dict(raw)).encode("utf-8")
    if fmt == PAYLOAD_ZLIB:
        return zlib.compress(data, _ZLIB_LEVEL)
    check = zlib.crc32(data).to_bytes(4, "little")
    return bytes([PAYLOAD_DEFLATE]) + check + _deflate(data, PAYLOAD_V1 + context)


def unpack_payload(blob: bytes | None, context: bytes = b"") -> dict[str, Any]:
    if not blob:
        return {}
    if blob[0] == PAYLOAD_ZLIB:
        data = zlib.decompress(blob)
    elif blob[0] == PAYLOAD_DEFLATE:
        try:
            data = _inflate(blob[5:], PAYLOAD_V1 + context)
        except zlib.error:
            data = b""
        if zlib.crc32(data).to_bytes(4, "little") != blob[1:5]:
            # Raw deflate has no check of its own: a wrong context inflates to garbage.
            raise ValueError("payload does not match its row's text, ids and names")
    else:
        raise ValueError(f"unknown payload format {blob[0]}")
    value = json.loads(data.decode("utf-8"))
    return value if isinstance(value, dict) else {}


#: ``scores.packed`` (0009): tag 1, then raw deflate against ``SCORES_V1`` of the
#: positional JSON ``[sentiment scores, is_complaint, signals, topic scores, explanation,
#: model, severity scores, f32 flags, sentiment, complaint probability, urgency, topic,
#: judgement]``: every field of the scores but the embedding (its own column). Rows packed
#: before the judgement head have no 13th element and decode with an empty one.
SCORES_DEFLATE = 1


def _short(scores: Mapping[str, float]) -> tuple[dict[str, float], bool]:
    """``scores`` with float32 artefacts written short, and whether they were.

    The topic head rounds float32 probabilities to 4 decimals, which come out as
    0.0997999981045723: stored as 0.0998 with a flag, they decode to the same double.
    """
    short = {k: round(v, 4) for k, v in scores.items()}
    if short != dict(scores) and all(
        float(np.float32(short[k])) == v for k, v in scores.items()
    ):
        return short, True
    return dict(scores), False


def _long(scores: Mapping[str, Any], f32: bool) -> dict[str, float]:
    if f32:
        return {str(k): float(np.float32(v)) for k, v in scores.items()}
    return {str(k): float(v) for k, v in scores.items()}


def pack_scores(s: Scores) -> bytes:
    """``s`` without its embedding, its strings cleaned (``codec.dumps_clean``)."""
    from listener.store.codec import dumps_clean  # codec imports this module

    maps = [_short(m) for m in (s.sentiment_scores, s.topic_scores, s.severity_scores)]
    flags = sum(1 << i for i, (_, f32) in enumerate(maps) if f32)
    value: list[Any] = [
        maps[0][0], s.is_complaint, [[g.name, g.evidence, g.source] for g in s.signals],
        maps[1][0], s.explanation, s.model, maps[2][0], flags,
        s.sentiment, s.complaint_probability, s.urgency, s.topic,
    ]
    if s.judgement:
        value.append(dict(s.judgement))
    return bytes([SCORES_DEFLATE]) + _deflate(dumps_clean(value).encode("utf-8"), SCORES_V1)


def unpack_scores(blob: bytes) -> Scores:
    """``pack_scores``'s inverse (without the embedding)."""
    if blob[0] != SCORES_DEFLATE:
        raise ValueError(f"unknown scores format {blob[0]}")
    value = json.loads(_inflate(blob[1:], SCORES_V1).decode("utf-8"))
    (sent, is_complaint, signals, topics, explanation, model, severity, flags,
     sentiment, probability, urgency, topic) = value[:12]
    judged = value[12] if len(value) > 12 else {}
    return Scores(
        sentiment=str(sentiment),
        sentiment_scores=_long(sent, bool(flags & 1)),
        complaint_probability=float(probability),
        is_complaint=bool(is_complaint),
        urgency=int(urgency),
        signals=tuple(Signal(str(n), str(e), str(src)) for n, e, src in signals),
        topic=str(topic),
        topic_scores=_long(topics, bool(flags & 2)),
        explanation=str(explanation),
        model=str(model),
        severity_scores=_long(severity, bool(flags & 4)),
        judgement={str(k): float(v) for k, v in judged.items()},
    )


#: ``verdicts.reasons`` (0009; a JSON list before): tag 1, then raw deflate against
#: ``REASONS_V1`` of the JSON list.
REASONS_DEFLATE = 1


def pack_reasons(reasons: Sequence[str]) -> bytes:
    from listener.store.codec import dumps_clean  # codec imports this module

    return bytes([REASONS_DEFLATE]) + _deflate(
        dumps_clean(list(reasons)).encode("utf-8"), REASONS_V1
    )


def unpack_reasons(blob: bytes) -> tuple[str, ...]:
    if blob[0] != REASONS_DEFLATE:
        raise ValueError(f"unknown reasons format {blob[0]}")
    return tuple(str(r) for r in json.loads(_inflate(blob[1:], REASONS_V1).decode("utf-8")))
