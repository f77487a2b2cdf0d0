"""On-disk cache of encoder outputs, keyed by encoder, settings and the texts themselves."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifiers.encoder import Encoder

logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/firstreply/embeddings`` (``~/.cache`` by default)."""
    import os

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "firstreply" / "embeddings"


def cache_key(encoder: Encoder, texts: Sequence[str]) -> str:
    """Stable key for (encoder path, max_length, layers, texts)."""
    digest = hashlib.sha256()
    digest.update(f"{encoder.path}|{encoder.max_length}|{encoder.layers}".encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def encode_cached(
    encoder: Encoder,
    texts: Sequence[str],
    *,
    cache_dir: Path | None = None,
    batch_size: int = 128,
) -> np.ndarray:
    """:meth:`Encoder.encode`, stored as float16 ``.npy`` so a second run is instant."""
    folder = cache_dir or default_cache_dir()
    path = folder / f"{cache_key(encoder, texts)}.npy"
    if path.exists():
        logger.info("embedding cache hit %s (%d texts)", path.name, len(texts))
        return np.asarray(np.load(path), dtype=np.float32)
    logger.info("encoding %d texts (cache miss %s)", len(texts), path.name)
    out = encoder.encode(texts, batch_size=batch_size)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out.astype(np.float16))
    tmp.replace(path)
    return out
