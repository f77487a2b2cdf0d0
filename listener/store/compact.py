"""Compact column formats (revision 0006): embeddings as float16 (or int8 + scale) behind a
tag byte, the raw payload as zlib'd compact JSON."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "EMBED_F16",
    "EMBED_FORMAT",
    "EMBED_I8",
    "pack_embedding",
    "pack_payload",
    "unpack_embedding",
    "unpack_float32",
    "unpack_payload",
]

#: Embedding blob formats (revision 0006): a tag byte, then the vector.
EMBED_F16, EMBED_I8 = 1, 2
#: How embeddings are stored: float16, 2 bytes a dimension (float32 took 4). Measured
#: (``bench_compact.py --incidents``, 1,500 twcs posts, real model): float16 moved no post
#: to another incident at similarity 0.6, 0.75 or 0.9; int8 (1 byte) moved 8 at 0.6.
EMBED_FORMAT = EMBED_F16


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


def pack_payload(raw: Mapping[str, Any]) -> bytes:
    """The raw payload as zlib'd compact JSON (revision 0006: it was a JSON column)."""
    from listener.store.codec import dumps_clean  # codec imports this module

    return zlib.compress(dumps_clean(dict(raw)).encode("utf-8"), _ZLIB_LEVEL)


def unpack_payload(blob: bytes | None) -> dict[str, Any]:
    if not blob:
        return {}
    value = json.loads(zlib.decompress(blob).decode("utf-8"))
    return value if isinstance(value, dict) else {}


#: zlib's level 6 (its default) costs ~3x level 1 for ~10 % smaller payloads.
_ZLIB_LEVEL = 6


