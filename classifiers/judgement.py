"""The judgement head: is a complaint urgent, judged the way people judged posts like it.

The severity head measures reproach, not what is at stake, and the situation vocabulary
(``listener/decisions/situations.py``) only knows the wordings it lists: each new batch
of written posts shows urgent ones it lacks ("the rail of the bunk bed came away in my
hand, my daughter sleeps up there"). No public corpus labels urgency, but people do: the
team's written judgement tables (``tests/judgement/*.jsonl``, labelled by the rules of
``tests/judgement/README.md``) and, in production, the team's own verdicts (a JSONL of
``text`` and ``urgent``).

One logistic regression on the sentence embedding every score already carries:
P(urgent | the post needs a person), fitted on complaints and requests only. The
decision layer pages on it only for a post it already reads as a complaint or request,
never for a positive one, and only when nothing else made it urgent
(``listener/decisions/urgency.py``). It is one vector of the embedding's width, saved as
``judgement.json`` beside the model it reads, refitted in seconds (``firstreply learn``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["JUDGEMENT_FILE", "JudgementHead", "Labelled", "fingerprint", "fit_judgement"]

JUDGEMENT_FILE = "judgement.json"
FORMAT = "firstreply-judgement/1"
#: The questions the head answers.
QUESTIONS = ("urgent",)


@dataclass(frozen=True, slots=True)
class Labelled:
    """One complaint or request: its embedding and whether a person judged it urgent."""

    embedding: Sequence[float]
    urgent: bool


@dataclass(frozen=True, slots=True)
class JudgementHead:
    """Logistic regressions on the model's embedding; see the module docstring."""

    #: The triage model whose embeddings the head reads (another model's do not fit):
    #: its name, and the :func:`fingerprint` of its folder.
    model: str
    fingerprint: str
    weights: Mapping[str, np.ndarray]
    biases: Mapping[str, float]
    #: What it was fitted on (sources, counts, regularisation), for the model card.
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(next(iter(self.weights.values())).shape[0])

    def predict(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        """Per question, the probability for each row of ``embeddings`` (n, dim)."""
        if embeddings.ndim != 2 or embeddings.shape[1] != self.dim:
            raise ValueError(
                f"judgement head reads {self.dim}-d embeddings, got {embeddings.shape}"
            )
        out = {}
        for q, w in self.weights.items():
            z = embeddings.astype(np.float64) @ w + self.biases[q]
            out[q] = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        return out

    def predict_one(self, embedding: Sequence[float]) -> dict[str, float]:
        """:meth:`predict` of one embedding; ``{}`` when it has the wrong width."""
        if len(embedding) != self.dim:
            return {}
        row = np.asarray(embedding, dtype=np.float64)[None, :]
        return {q: round(float(p[0]), 4) for q, p in self.predict(row).items()}

    # -- persistence -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "model": self.model,
            "fingerprint": self.fingerprint,
            "questions": {
                q: {"bias": self.biases[q], "weights": [round(float(x), 6) for x in w]}
                for q, w in self.weights.items()
            },
            "meta": dict(self.meta),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgementHead:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a judgement head: format {data.get('format')!r}")
        questions = data["questions"]
        weights = {q: np.asarray(v["weights"], dtype=np.float64) for q, v in questions.items()}
        if len({w.shape for w in weights.values()}) != 1:
            raise ValueError("judgement head: questions of different widths")
        return cls(
            model=str(data["model"]),
            fingerprint=str(data["fingerprint"]),
            weights=weights,
            biases={q: float(v["bias"]) for q, v in questions.items()},
            meta=dict(data.get("meta", {})),
        )

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / JUDGEMENT_FILE
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> JudgementHead | None:
        """The head saved in ``folder``, or None when there is none."""
        path = Path(folder) / JUDGEMENT_FILE
        if not path.exists():
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def fingerprint(folder: str | Path) -> str:
    """What identifies a model folder's embeddings: its heads file and encoder settings.

    Every training run writes new heads, so a head fitted before a retrain is refused
    rather than read against embeddings it never saw.
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    digest.update(json.dumps(config.get("encoder", {}), sort_keys=True).encode())
    digest.update((folder / "heads.safetensors").read_bytes())
    return digest.hexdigest()[:16]


def fit_judgement(
    rows: Sequence[Labelled],
    *,
    model: str,
    fingerprint: str,
    c: float = 1.0,
    meta: Mapping[str, Any] | None = None,
) -> JudgementHead:
    """Fit the head on ``rows`` (deterministic: L-BFGS, no sampling).

    Raises ``ValueError`` when a question has fewer than 10 examples of either answer:
    a head fitted on less would be noise that the decisions then trust.
    """
    from sklearn.linear_model import LogisticRegression

    weights: dict[str, np.ndarray] = {}
    biases: dict[str, float] = {}
    counts: dict[str, dict[str, int]] = {}
    for q in QUESTIONS:
        chosen = [(r.embedding, getattr(r, q)) for r in rows if getattr(r, q) is not None]
        y = np.asarray([bool(v) for _, v in chosen], dtype=int)
        pos, neg = int(y.sum()), int(len(y) - y.sum())
        if min(pos, neg) < 10:
            raise ValueError(f"judgement question {q!r}: {pos} yes and {neg} no; need 10 of each")
        x = np.asarray([list(e) for e, _ in chosen], dtype=np.float64)
        clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
        weights[q] = clf.coef_[0].astype(np.float64)
        biases[q] = float(clf.intercept_[0])
        counts[q] = {"yes": pos, "no": neg}
    info = {"C": c, "class_weight": "balanced", "counts": counts, **(meta or {})}
    return JudgementHead(
        model=model, fingerprint=fingerprint, weights=weights, biases=biases, meta=info
    )
