"""Use any Hugging Face sequence-classification model as the sentiment head.

For example a local copy of ``cardiffnlp/twitter-roberta-base-sentiment-latest``::

    model.with_sentiment_model("models/twitter-roberta", {"negative": "negative", ...})

``label_map`` maps the model's own label names (``config.id2label``) to
``negative`` / ``neutral`` / ``positive``; unmapped labels are dropped and the rest
renormalised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from classifiers.base import SENTIMENT_LABELS
from classifiers.encoder import pick_device


class HFSequenceHead:
    """A full transformer classifier whose probabilities replace one head's."""

    def __init__(
        self,
        name_or_path: str,
        label_map: Mapping[str, str] | None = None,
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int = 128,
    ) -> None:
        self.name = name_or_path
        self.label_map = dict(label_map or {})
        self.device_setting = device
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: Any = None
        self._tokenizer: Any = None
        self._columns: list[tuple[int, int]] = []

    def _load(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._device = pick_device(self.device_setting)
        self._tokenizer = AutoTokenizer.from_pretrained(self.name)
        model = AutoModelForSequenceClassification.from_pretrained(self.name)
        self._model = model.to(self._device).eval()
        id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
        for idx, label in sorted(id2label.items()):
            target = self.label_map.get(label, label.lower())
            if target in SENTIMENT_LABELS:
                self._columns.append((idx, SENTIMENT_LABELS.index(target)))
        if not self._columns:
            raise ValueError(
                f"no label of {self.name} maps to {SENTIMENT_LABELS}: {sorted(id2label.values())}"
            )

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities in :data:`SENTIMENT_LABELS` order, shape ``(n, 3)``."""
        self._load()
        import torch

        out = np.zeros((len(texts), len(SENTIMENT_LABELS)), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self._tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self._device)
                probs = torch.softmax(self._model(**batch).logits.float(), dim=-1).cpu().numpy()
                for src, dst in self._columns:
                    out[idx, dst] += probs[:, src]
        total = out.sum(axis=1, keepdims=True)
        return np.asarray(out / np.maximum(total, 1e-12), dtype=np.float32)
