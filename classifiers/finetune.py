"""Fine-tune the encoder and every head together (multi-task LP-FT), resumably.

The network computes exactly what inference computes (``TriageModel.encode``): mean-pooled
hidden states of ``feature_layers``, each L2-normalised, concatenated, then one linear
layer per head. It starts from linear heads fitted on the frozen encoder (the linear
probe), so fine-tuning begins from a good solution instead of random heads (Kumar et
al., ICLR 2022). Each step's batch and dropout are seeded by ``(seed, step)``, so a run
resumed from its checkpoint is the same run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifiers.heads import MLPHead

logger = logging.getLogger(__name__)

TASKS = ("sentiment", "complaint", "severity")
CHECKPOINT_FILE = "checkpoint.pt"


@dataclass(frozen=True, slots=True)
class FinetuneOptions:
    """The recipe. Everything but the last four fields changes the result."""

    seed: int = 13
    steps: int = 3000
    batch_size: int = 32
    max_length: int = 64
    lr_encoder: float = 8e-5
    lr_heads: float = 5e-4
    warmup: float = 0.06
    weight_decay: float = 0.01
    severity_weight: float = 0.5
    shares: tuple[tuple[str, float], ...] = ()
    # Not part of the recipe:
    threads: int = 2
    log_every: int = 25
    checkpoint_every: int = 100
    device: str = "cpu"

    def fingerprint(self) -> str:
        recipe = {k: v for k, v in asdict(self).items() if k not in _RUNTIME_FIELDS}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


_RUNTIME_FIELDS = {"threads", "log_every", "checkpoint_every", "device"}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build_net(base: Any, feature_layers: Sequence[int], heads: Mapping[str, MLPHead]) -> Any:
    """A ``torch.nn.Module`` over the HF encoder ``base``, heads initialised from ``heads``."""
    import torch
    from torch import nn

    class MultiTaskNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = base
            self.layers = tuple(feature_layers)
            self.heads = nn.ModuleDict()
            for name in TASKS:
                head = heads[name]
                if len(head.weights) != 1:
                    raise ValueError(f"head {name!r}: only linear heads can be fine-tuned")
                w, b = head.weights[0], head.biases[0]
                linear = nn.Linear(w.shape[0], w.shape[1])
                with torch.no_grad():
                    linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                    linear.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
                self.heads[name] = linear

        def forward(self, input_ids: Any, attention_mask: Any) -> dict[str, Any]:
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
            )
            mask = attention_mask.unsqueeze(-1).to(out.hidden_states[-1].dtype)
            denom = mask.sum(dim=1).clamp(min=1.0)
            parts = [
                nn.functional.normalize((out.hidden_states[i] * mask).sum(dim=1) / denom, dim=-1)
                for i in self.layers
            ]
            feats = torch.cat(parts, dim=-1)
            return {name: head(feats) for name, head in self.heads.items()}

    return MultiTaskNet()


def export_heads(net: Any, template: Mapping[str, MLPHead]) -> dict[str, MLPHead]:
    """The fine-tuned linear heads as numpy :class:`MLPHead` (temperature reset to 1)."""
    out = {}
    for name in TASKS:
        linear = net.heads[name]
        out[name] = MLPHead(
            name=name,
            labels=template[name].labels,
            weights=[linear.weight.detach().float().cpu().numpy().T.copy()],
            biases=[linear.bias.detach().float().cpu().numpy().copy()],
        )
    return out


class BatchSampler:
    """Batch slots drawn from corpora by share, rows uniformly within a corpus."""

    def __init__(self, table: pd.DataFrame, shares: Mapping[str, float], seed: int) -> None:
        names = [n for n in shares if (table["source"] == n).any()]
        p = np.array([shares[n] for n in names], dtype=np.float64)
        self.names, self.p, self.seed = names, p / p.sum(), seed
        source = table["source"].to_numpy()
        self.rows = [np.flatnonzero(source == n) for n in names]

    def draw(self, step: int, size: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, step])
        counts = rng.multinomial(size, self.p)
        picks = [
            rows[rng.integers(len(rows), size=k)] for rows, k in zip(self.rows, counts, strict=True)
        ]
        return np.concatenate(picks)


ProgressFn = Callable[[int, int, dict[str, float]], None]


def train_net(
    net: Any,
    tokenizer: Any,
    table: pd.DataFrame,
    opts: FinetuneOptions,
    shares: Mapping[str, float],
    *,
    checkpoint_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Run ``opts.steps`` optimiser steps (resuming from ``checkpoint_dir``); return stats."""
    import torch
    from torch.nn import functional

    torch.set_num_threads(max(1, opts.threads))
    device = opts.device
    net.to(device)
    net.train()
    texts = table["text"].tolist()
    labels = {t: torch.tensor(table[t].to_numpy(), dtype=torch.long) for t in TASKS}
    weights = {t: torch.tensor(table[f"w_{t}"].to_numpy(), dtype=torch.float32) for t in TASKS}
    task_weight = {"sentiment": 1.0, "complaint": 1.0, "severity": opts.severity_weight}
    sampler = BatchSampler(table, shares, opts.seed)

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups: list[dict[str, Any]] = []
    for part, lr in (("encoder.", opts.lr_encoder), ("heads.", opts.lr_heads)):
        named = [(n, p) for n, p in net.named_parameters() if n.startswith(part)]
        groups.append(
            {
                "params": [p for n, p in named if not n.endswith(no_decay)],
                "lr": lr,
                "weight_decay": opts.weight_decay,
            }
        )
        groups.append(
            {"params": [p for n, p in named if n.endswith(no_decay)], "lr": lr, "weight_decay": 0.0}
        )
    optimiser = torch.optim.AdamW(groups)
    warm = max(1, int(opts.warmup * opts.steps))

    def schedule(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (opts.steps - step) / max(1, opts.steps - warm))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    start, elapsed_before, history = 0, 0.0, []
    ckpt = checkpoint_dir / CHECKPOINT_FILE if checkpoint_dir else None
    if ckpt is not None and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        if state["fingerprint"] != opts.fingerprint():
            raise ValueError(
                f"{ckpt} belongs to another recipe (fingerprint {state['fingerprint']}); "
                "delete it or choose another checkpoint folder"
            )
        net.load_state_dict(state["net"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        start, elapsed_before, history = state["step"], state["elapsed"], state["history"]
        logger.info("resuming from %s at step %d of %d", ckpt, start, opts.steps)

    began = time.perf_counter()
    running = {t: 0.0 for t in ("loss", *TASKS)}
    seen = 0
    window_began = began
    for step in range(start, opts.steps):
        idx = sampler.draw(step, opts.batch_size)
        torch.manual_seed(opts.seed * 1_000_003 + step)
        batch = tokenizer(
            [texts[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=opts.max_length,
            return_tensors="pt",
        ).to(device)
        logits = net(batch["input_ids"], batch["attention_mask"])
        sel = torch.from_numpy(idx)
        loss = torch.zeros((), device=device)
        for task in TASKS:
            y, w = labels[task][sel].to(device), weights[task][sel].to(device)
            w = w * (y >= 0)
            if float(w.sum()) <= 0:
                continue
            ce = functional.cross_entropy(logits[task], y.clamp(min=0), reduction="none")
            task_loss = (ce * w).sum() / w.sum()
            running[task] += task_loss.item()
            loss = loss + task_weight[task] * task_loss
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad(set_to_none=True)
        running["loss"] += loss.item()
        seen += 1
        done = step + 1
        if done % opts.log_every == 0 or done == opts.steps:
            now = time.perf_counter()
            spent = now - began
            # Rate over the last window: the machine's load changes during a run.
            rate = seen / max(now - window_began, 1e-9)
            window_began = now
            stats = {k: v / max(seen, 1) for k, v in running.items()}
            stats.update(
                steps_per_s=rate,
                eta_s=(opts.steps - done) / max(rate, 1e-9),
                elapsed_s=elapsed_before + spent,
                peak_rss_mb=peak_rss_mb(),
            )
            history.append({"step": done, **{k: round(v, 4) for k, v in stats.items()}})
            logger.info(
                "step %d/%d loss %.3f (sent %.3f, comp %.3f, sev %.3f) %.2f steps/s, "
                "eta %.0fs, peak rss %.0f MB",
                done,
                opts.steps,
                stats["loss"],
                stats["sentiment"],
                stats["complaint"],
                stats["severity"],
                rate,
                stats["eta_s"],
                stats["peak_rss_mb"],
            )
            if progress is not None:
                progress(done, opts.steps, stats)
            running = {k: 0.0 for k in running}
            seen = 0
        if ckpt is not None and (done % opts.checkpoint_every == 0 or done == opts.steps):
            _save_checkpoint(
                ckpt,
                {
                    "fingerprint": opts.fingerprint(),
                    "net": net.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "step": done,
                    "elapsed": elapsed_before + time.perf_counter() - began,
                    "history": history,
                },
            )
    net.eval()
    return {
        "steps": opts.steps,
        "train_seconds": round(elapsed_before + time.perf_counter() - began, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "history": history,
    }


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def save_encoder_fp16(base: Any, path: Path) -> None:
    """The fine-tuned encoder's weights as fp16 safetensors (read back as fp32)."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu").half().contiguous() for k, v in base.state_dict().items()}
    save_file(tensors, str(path))
