"""Classification heads over encoder features, with numpy-only inference.

A head is a small multi-layer perceptron (zero hidden layers = multinomial
logistic regression): ``softmax(relu(x W1 + b1) ... Wn + bn)``. Weights live in
one safetensors file for all heads; labels and shapes in JSON metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


@dataclass(slots=True)
class MLPHead:
    """Dense layers with ReLU between them and softmax on top."""

    name: str
    labels: tuple[str, ...]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    temperature: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, dtype=np.float32)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w + b
            if i < last:
                h = np.maximum(h, 0.0)
        return h

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape ``(n, len(labels))``."""
        return softmax(self.logits(x) / self.temperature)

    @property
    def n_params(self) -> int:
        return int(sum(w.size + b.size for w, b in zip(self.weights, self.biases, strict=True)))

    # -- serialisation -----------------------------------------------------------
    def tensors(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out[f"{self.name}.{i}.weight"] = np.ascontiguousarray(w, dtype=np.float32)
            out[f"{self.name}.{i}.bias"] = np.ascontiguousarray(b, dtype=np.float32)
        return out

    def config(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "n_layers": len(self.weights),
            "temperature": self.temperature,
            "meta": self.meta,
        }

    @classmethod
    def from_tensors(
        cls, name: str, config: Mapping[str, Any], tensors: Mapping[str, np.ndarray]
    ) -> MLPHead:
        n = int(config["n_layers"])
        return cls(
            name=name,
            labels=tuple(config["labels"]),
            weights=[np.asarray(tensors[f"{name}.{i}.weight"]) for i in range(n)],
            biases=[np.asarray(tensors[f"{name}.{i}.bias"]) for i in range(n)],
            temperature=float(config.get("temperature", 1.0)),
            meta=dict(config.get("meta", {})),
        )

    @classmethod
    def from_sklearn(cls, name: str, labels: Sequence[str], estimator: Any) -> MLPHead:
        """Copy a fitted ``LogisticRegression`` or ``MLPClassifier`` into numpy weights."""
        if hasattr(estimator, "coefs_"):
            weights = [np.asarray(w, dtype=np.float32) for w in estimator.coefs_]
            biases = [np.asarray(b, dtype=np.float32) for b in estimator.intercepts_]
        else:
            weights = [np.asarray(estimator.coef_, dtype=np.float32).T]
            biases = [np.asarray(estimator.intercept_, dtype=np.float32)]
        if weights[-1].shape[1] == 1:  # binary sklearn models output one logit
            w, b = weights[-1], biases[-1]
            weights[-1] = np.concatenate([np.zeros_like(w), w], axis=1)
            biases[-1] = np.concatenate([np.zeros_like(b), b])
        return cls(name=name, labels=tuple(labels), weights=weights, biases=biases)


def save_heads(path: str, heads: Sequence[MLPHead]) -> None:
    """Write every head's tensors to one safetensors file."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {}
    for head in heads:
        tensors.update(head.tensors())
    save_file(tensors, path)


def load_tensors(path: str) -> dict[str, np.ndarray]:
    """Read a safetensors file into numpy arrays."""
    from safetensors.numpy import load_file

    return dict(load_file(path))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising validation log-loss (grid search, robust and fast)."""
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(4.0), 41)):
        p = softmax(logits / t)
        nll = -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t
