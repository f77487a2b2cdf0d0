"""The triage model: one encoder pass, then sentiment, complaint, severity, signals, topic."""

from __future__ import annotations

import dataclasses
import json
import logging
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import SENTIMENT_LABELS, URGENCY_LEVELS, Scores, Signal
from classifiers.encoder import Encoder, Tokenized, l2_normalize
from classifiers.heads import MLPHead, load_tensors, save_heads
from classifiers.hf_head import HFSequenceHead
from classifiers.judgement import JUDGEMENT_FILE, JudgementHead, fingerprint
from classifiers.signals import PhraseMatcher, SignalPrototypes, order_signals
from classifiers.text import normalize
from classifiers.topics import TopicModel

logger = logging.getLogger(__name__)

FORMAT = "firstreply-triage/1"
WEIGHTS_FILE = "heads.safetensors"
CONFIG_FILE = "config.json"
DEFAULT_DIR = Path(__file__).resolve().parent / "weights" / "default"
#: The first shipped model (frozen encoder + linear heads): the fine-tuning's linear probe.
FROZEN_V1_DIR = Path(__file__).resolve().parent / "weights" / "frozen-v1"
#: Longer texts are clipped before anything reads them: the encoder sees at most
#: ``max_length`` tokens anyway, and a 10 MB line must not cost gigabytes.
MAX_TEXT_CHARS = 4000


def last_layer(encoder: Encoder) -> int:
    """Index of the encoder's last hidden state in ``hidden_states``."""
    encoder._load()
    return int(encoder._model.config.num_hidden_layers)


def features_from_layers(pooled: np.ndarray, positions: Sequence[int]) -> np.ndarray:
    """Concatenate the L2-normalised pooled layers at ``positions`` into one vector."""
    parts = [l2_normalize(pooled[:, p]) for p in positions]
    return np.concatenate(parts, axis=1)


class EmbeddingOnly:
    """Sentence embeddings from an encoder (default MiniLM), for few-shot topics."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder or Encoder()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalize(self.encoder.encode(list(texts))[:, 0])


@dataclass(frozen=True, slots=True)
class Prepared:
    """Texts clipped as :meth:`TriageModel.predict` reads them, and their encoder batches."""

    texts: list[str]
    batches: list[Tokenized]


@dataclass(slots=True)
class TriageConfig:
    """Everything besides tensors that a saved model records."""

    name: str
    encoder: dict[str, Any]
    feature_layers: tuple[int, ...]
    complaint_threshold: float
    heads: dict[str, dict[str, Any]]
    signal_threshold: float = 0.6
    signal_examples: dict[str, list[str]] = field(default_factory=dict)
    topics: dict[str, Any] = field(default_factory=dict)
    phrases: dict[str, list[str]] | None = None
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]
        data["feature_layers"] = list(self.feature_layers)
        return {"format": FORMAT, **data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TriageConfig:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model config: {data.get('format')!r}")
        fields = {k: v for k, v in data.items() if k != "format"}
        fields["feature_layers"] = tuple(fields["feature_layers"])
        return cls(**fields)


class TriageModel:
    """Implements :class:`classifiers.base.Classifier` with one encoder pass for all heads."""

    def __init__(
        self,
        config: TriageConfig,
        heads: Mapping[str, MLPHead],
        topics: TopicModel,
        prototypes: SignalPrototypes,
        *,
        encoder: Encoder | None = None,
        phrases: PhraseMatcher | None = None,
        judgement: JudgementHead | None = None,
    ) -> None:
        self.config = config
        self.judgement = judgement
        self.heads = dict(heads)
        self.topics = topics
        self.prototypes = prototypes
        self.phrases = phrases or PhraseMatcher(config.phrases)
        enc = config.encoder
        self.encoder = encoder or Encoder(
            enc.get("path") or enc["name"], max_length=int(enc.get("max_length", 128))
        )
        self._last = int(enc.get("n_layers", 6))
        layers = sorted({*config.feature_layers, self._last})
        self.encoder.layers = tuple(layers)
        self._feat_pos = [layers.index(x) for x in config.feature_layers]
        self._emb_pos = layers.index(self._last)
        self.sentiment_model: HFSequenceHead | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def threshold(self) -> float:
        return self.config.complaint_threshold

    # -- persistence -------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls, path: str | Path, *, device: str = "auto", batch_size: int = 64, threads: int = 0
    ) -> TriageModel:
        """Load a directory written by :meth:`save_pretrained`."""
        folder = Path(path)
        config = TriageConfig.from_json(json.loads((folder / CONFIG_FILE).read_text()))
        tensors = load_tensors(str(folder / WEIGHTS_FILE))
        heads = {
            name: MLPHead.from_tensors(name, cfg, tensors) for name, cfg in config.heads.items()
        }
        topic_cfg = dict(config.topics)
        topics = TopicModel(
            topic_cfg.pop("names"),
            tensors["topics.prototypes"],
            topic_cfg.pop("examples", {}),
            **topic_cfg,
        )
        owners = [n for n, ex in config.signal_examples.items() for _ in ex]
        prototypes = SignalPrototypes(
            names=tuple(config.signal_examples),
            examples=tuple(e for ex in config.signal_examples.values() for e in ex),
            owners=tuple(owners),
            vectors=tensors.get("signals.prototypes", np.zeros((0, 1), np.float32)),
            threshold=config.signal_threshold,
        )
        enc = config.encoder
        encoder = Encoder(
            enc.get("path") or enc["name"],
            device=device,
            batch_size=batch_size,
            max_length=int(enc.get("max_length", 128)),
            threads=threads,
            weights=folder / enc["weights"] if enc.get("weights") else None,
        )
        judgement = JudgementHead.load(folder)
        if judgement is not None and judgement.fingerprint != fingerprint(folder):
            # A head reads one model's embeddings; another model's would be noise.
            logger.warning("ignoring %s in %s: fitted for another model (run firstreply learn)",
                           JUDGEMENT_FILE, folder)
            judgement = None
        return cls(config, heads, topics, prototypes, encoder=encoder, judgement=judgement)

    def save_pretrained(self, path: str | Path) -> None:
        """Write ``config.json`` and ``heads.safetensors`` (the encoder is referenced)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.config.topics = self.topics.config()
        save_heads(str(folder / WEIGHTS_FILE), list(self.heads.values()))
        from safetensors.numpy import load_file, save_file

        tensors = load_file(str(folder / WEIGHTS_FILE))
        tensors["topics.prototypes"] = np.ascontiguousarray(self.topics.prototypes)
        if len(self.prototypes.vectors):
            tensors["signals.prototypes"] = np.ascontiguousarray(self.prototypes.vectors)
        save_file(tensors, str(folder / WEIGHTS_FILE))
        for name, head in self.heads.items():
            self.config.heads[name] = head.config()
        text = json.dumps(self.config.to_json(), indent=2, sort_keys=False)
        (folder / CONFIG_FILE).write_text(text + "\n", encoding="utf-8")
        if self.judgement is not None:
            # The same model in a new folder: the head still reads its embeddings.
            dataclasses.replace(self.judgement, fingerprint=fingerprint(folder)).save(folder)

    # -- inference ---------------------------------------------------------------
    def prepare(self, texts: Sequence[str]) -> Prepared:
        """Clip, normalise and tokenise ``texts``: the part of :meth:`predict` that may
        run in another thread while the encoder computes (see ``listener.backfill``)."""
        if isinstance(texts, str):
            texts = [texts]
        clipped = [t[:MAX_TEXT_CHARS] for t in texts]
        return Prepared(clipped, self.encoder.tokenize([normalize(t) for t in clipped]))

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(features, embeddings) for raw texts, normalised as in training."""
        return self._encode_prepared(self.prepare(texts), progress=progress)

    def _encode_prepared(
        self, prepared: Prepared, *, progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        pooled = self.encoder.run(prepared.batches, len(prepared.texts), progress=progress)
        return features_from_layers(pooled, self._feat_pos), l2_normalize(pooled[:, self._emb_pos])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised sentence embeddings (for topics and incident grouping)."""
        return self.encode(texts)[1]

    def with_topics(self, examples: Mapping[str, Sequence[str]]) -> TriageModel:
        """Add or replace topic categories from a few example posts each."""
        self.topics = self.topics.extended(examples, self)
        return self

    def with_sentiment_model(
        self, name_or_path: str, label_map: Mapping[str, str] | None = None
    ) -> TriageModel:
        """Replace the sentiment head by any HF sequence-classification model."""
        self.sentiment_model = HFSequenceHead(
            name_or_path, label_map, device=self.encoder.device_setting
        )
        return self

    def predict(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> list[Scores]:
        """Score ``texts``; one :class:`Scores` per text, in input order."""
        return self.predict_prepared(self.prepare(texts), progress=progress)

    def predict_prepared(
        self, prepared: Prepared, *, progress: Callable[[int], None] | None = None
    ) -> list[Scores]:
        """:meth:`predict` of texts :meth:`prepare` made ready."""
        texts = prepared.texts
        feats, emb = self._encode_prepared(prepared, progress=progress)
        if self.sentiment_model is not None:
            sent = self.sentiment_model.predict_proba([normalize(t) for t in texts])
        else:
            sent = self.heads["sentiment"].predict_proba(feats)
        comp = self.heads["complaint"].predict_proba(feats)[:, 1]
        sev = self.heads["severity"].predict_proba(feats)
        model_signals = self.prototypes.match(emb)
        topics = self.topics.predict(emb)
        judged = self.judgement.predict(emb) if self.judgement is not None else {}
        out = []
        for i, text in enumerate(texts):
            is_complaint = bool(comp[i] >= self.threshold)
            urgency = 1 + int(np.argmax(sev[i])) if is_complaint else 0
            sev_scores = {
                lab: round(float(p), 4) for lab, p in zip(URGENCY_LEVELS[1:], sev[i], strict=True)
            }
            signals = order_signals([*self.phrases.match(text), *model_signals[i]])
            sent_scores = {
                lab: round(float(p), 4) for lab, p in zip(SENTIMENT_LABELS, sent[i], strict=True)
            }
            label = SENTIMENT_LABELS[int(np.argmax(sent[i]))]
            topic, topic_scores = topics[i]
            out.append(
                Scores(
                    sentiment=label,
                    sentiment_scores=sent_scores,
                    complaint_probability=round(float(comp[i]), 4),
                    is_complaint=is_complaint,
                    urgency=urgency,
                    severity_scores=sev_scores,
                    signals=signals,
                    topic=topic,
                    topic_scores=topic_scores,
                    explanation=explain(
                        float(comp[i]), self.threshold, label, urgency, signals, topic
                    ),
                    model=self.name,
                    embedding=_compact(emb[i]),
                    judgement={q: round(float(p[i]), 4) for q, p in judged.items()},
                )
            )
        return out


def _compact(vector: np.ndarray) -> array[float]:
    # float32 in an array: 1.5 KB a text where a tuple of Python floats took 12 KB, and
    # a backfill holds a few buffers of 4,096 scored texts (~150 MB of peak RSS).
    out = array("f")
    out.frombytes(np.ascontiguousarray(vector, dtype=np.float32).tobytes())
    return out


def explain(
    prob: float,
    threshold: float,
    sentiment: str,
    urgency: int,
    signals: Sequence[Signal],
    topic: str,
) -> str:
    """Short Slack-friendly summary: verdict, urgency, signals with their phrase."""
    verdict = "complaint" if prob >= threshold else "not a complaint"
    parts = [f"{verdict} (p={prob:.2f}, threshold {threshold:.2f}), {sentiment}"]
    if urgency:
        parts.append(f"urgency {urgency} ({URGENCY_LEVELS[urgency]})")
    if prob >= threshold and topic != "other":
        parts.append(f"topic {topic}")
    for sig in signals:
        if sig.source == "phrase":
            parts.append(f'{sig.name} signal: "{sig.evidence}"')
        else:
            parts.append(f"{sig.name} signal (model): {sig.evidence}")
    return "; ".join(parts)


def load_default(*, device: str = "auto", batch_size: int = 64) -> TriageModel:
    """The model shipped in the package (frozen MiniLM-L6 + trained heads)."""
    return TriageModel.from_pretrained(DEFAULT_DIR, device=device, batch_size=batch_size)


def load(path: str | Path | None = None, **kwargs: Any) -> TriageModel:
    """``path`` or the shipped default when ``None``."""
    return TriageModel.from_pretrained(path or DEFAULT_DIR, **kwargs)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """How to build a configured model: plain data, so it pickles into worker processes.

    Calling it loads the model (the shipped default when ``path`` is ``None``), swaps in
    an HF sentiment model if one is named, and adds the brands' few-shot topics.
    """

    path: str | None = None
    device: str = "auto"
    batch_size: int = 64
    threads: int = 0
    sentiment_model: str | None = None
    sentiment_labels: tuple[tuple[str, str], ...] = ()
    topics: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __call__(self) -> TriageModel:
        model = load(self.path, device=self.device, batch_size=self.batch_size,
                     threads=self.threads)
        if self.sentiment_model:
            model.with_sentiment_model(self.sentiment_model, dict(self.sentiment_labels) or None)
        if self.topics:
            model.with_topics({name: list(examples) for name, examples in self.topics})
        return model
