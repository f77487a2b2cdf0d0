"""The fine-tuning trainer on a tiny random BERT: seeded, resumable, exported faithfully."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from classifiers.base import SENTIMENT_LABELS, URGENCY_LEVELS
from classifiers.encoder import Encoder, default_encoder_dir
from classifiers.finetune import (
    BatchSampler,
    FinetuneOptions,
    build_net,
    export_heads,
    save_encoder_fp16,
    train_net,
)
from classifiers.heads import MLPHead

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

LAYERS = (1, 2)
WIDTH = 16


def tiny_bert(seed: int = 0) -> Any:
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=WIDTH,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    return transformers.BertModel(config)


def tokenizer() -> Any:
    return transformers.AutoTokenizer.from_pretrained(default_encoder_dir())


def heads() -> dict[str, MLPHead]:
    rng = np.random.default_rng(0)
    dim = WIDTH * len(LAYERS)
    out = {}
    for name, labels in (
        ("sentiment", SENTIMENT_LABELS),
        ("complaint", ("no", "yes")),
        ("severity", URGENCY_LEVELS[1:]),
    ):
        w = rng.normal(size=(dim, len(labels))).astype(np.float32)
        out[name] = MLPHead(name, tuple(labels), [w], [np.zeros(len(labels), np.float32)])
    return out


def table() -> pd.DataFrame:
    rows = []
    for i in range(40):
        source = ("semeval", "airline", "xfincorp")[i % 3]
        rows.append(
            {
                "text": f"post number {i} about my {'refund' if i % 2 else 'lovely day'}",
                "source": source,
                "group": "g",
                "sentiment": i % 3,
                "complaint": i % 2 if source != "semeval" else 0,
                "severity": i % 4 if source == "xfincorp" else -1,
                "w_sentiment": 1.0,
                "w_complaint": 1.0,
                "w_severity": 1.0 if source == "xfincorp" else 0.0,
            }
        )
    return pd.DataFrame(rows)


SHARES = {"semeval": 0.4, "airline": 0.3, "xfincorp": 0.3}
OPTS = FinetuneOptions(steps=4, batch_size=4, max_length=16, threads=1, log_every=2)


def trained(steps: int, ckpt: Path | None, opts: FinetuneOptions = OPTS) -> dict[str, Any]:
    net = build_net(tiny_bert(), LAYERS, heads())
    train_net(net, tokenizer(), table(), replace(opts, steps=steps), SHARES, checkpoint_dir=ckpt)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def test_same_seed_same_weights_and_training_moves_them() -> None:
    a, b = trained(4, None), trained(4, None)
    start = build_net(tiny_bert(), LAYERS, heads()).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["heads.complaint.weight"], start["heads.complaint.weight"])


def test_a_resumed_run_is_the_same_run(tmp_path: Path) -> None:
    whole = trained(4, None)
    # Two steps, "crash", then the same command again with the full step count.
    net = build_net(tiny_bert(), LAYERS, heads())
    train_net(
        net,
        tokenizer(),
        table(),
        replace(OPTS, checkpoint_every=2),
        SHARES,
        checkpoint_dir=tmp_path,
    )
    resumed = trained(4, tmp_path, replace(OPTS, checkpoint_every=2))
    assert all(torch.allclose(whole[k], resumed[k], atol=1e-6) for k in whole)


def test_a_checkpoint_of_another_recipe_is_refused(tmp_path: Path) -> None:
    trained(2, tmp_path, replace(OPTS, steps=2))
    with pytest.raises(ValueError, match="another recipe"):
        trained(2, tmp_path, replace(OPTS, steps=2, lr_encoder=1e-3))


def test_sampler_is_seeded_and_follows_the_shares() -> None:
    sampler = BatchSampler(table(), SHARES, seed=13)
    assert np.array_equal(sampler.draw(5, 64), sampler.draw(5, 64))
    assert not np.array_equal(sampler.draw(5, 64), sampler.draw(6, 64))
    sources = table()["source"].to_numpy()[np.concatenate([sampler.draw(s, 64) for s in range(50)])]
    assert np.mean(sources == "semeval") == pytest.approx(0.4, abs=0.05)


def test_exported_encoder_and_heads_compute_what_the_network_computed(tmp_path: Path) -> None:
    base = tiny_bert()
    net = build_net(base, LAYERS, heads())
    net.eval()
    texts = ["my parcel never arrived", "what a lovely day", "refund me now please"]
    tok = tokenizer()
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = net(batch["input_ids"], batch["attention_mask"])["complaint"].numpy()

    folder = tmp_path / "base"
    base.save_pretrained(folder)
    tok.save_pretrained(folder)
    save_encoder_fp16(base, tmp_path / "encoder.safetensors")
    # The base directory holds other (random) weights: the fp16 file must replace them all.
    tiny_bert(seed=1).save_pretrained(folder)
    enc = Encoder(
        str(folder),
        device="cpu",
        dtype="float32",
        layers=LAYERS,
        weights=tmp_path / "encoder.safetensors",
    )
    pooled = enc.encode(texts)
    feats = np.concatenate(
        [p / np.linalg.norm(p, axis=1, keepdims=True) for p in (pooled[:, 0], pooled[:, 1])],
        axis=1,
    )
    got = export_heads(net, heads())["complaint"].logits(feats)
    assert np.allclose(got, expected, atol=2e-2)  # fp16 weights


def test_fine_tuned_weights_load_in_the_inference_dtype(tmp_path: Path) -> None:
    base = tiny_bert()
    folder = tmp_path / "base"
    tiny_bert(seed=1).save_pretrained(folder)  # other weights: the file must replace them
    tokenizer().save_pretrained(folder)
    save_encoder_fp16(base, tmp_path / "encoder.safetensors")
    texts = ["my parcel never arrived", "what a lovely day"]

    def encoder(dtype: str) -> Encoder:
        return Encoder(str(folder), device="cpu", dtype=dtype, layers=LAYERS,
                       weights=tmp_path / "encoder.safetensors")

    half, full = encoder("bfloat16"), encoder("float32")
    got, want = half.encode(texts), full.encode(texts)
    assert {p.dtype for p in half._model.parameters()} == {torch.bfloat16}
    assert np.allclose(got, want, atol=5e-2)
    # Tokenised apart (as the backfill's reader thread does), then run: the same.
    assert np.array_equal(half.run(half.tokenize(texts), len(texts)), got)
