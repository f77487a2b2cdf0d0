"""Complaint detection: frozen MiniLM + logistic head vs MiniLM fine-tuned end to end.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/compare_finetune.py --data /work/shared/data \
        [--subset 6000] [--probe-steps 0] [--out results.json]

Same seeded splits as the shipped model (``classifiers.training_data``, seed 13), same
complaint rows (``classifiers.train.complaint_rows``), same per-(corpus, label) weighting
and the same threshold rule (best validation macro-F1 flagging <= 5 % of TweetEval
sentiment **val**). TweetEval sentiment **test** is only scored, never trained or tuned on.

Rows reported:

* ``shipped``: the shipped heads (``classifiers/weights/default``) on cached frozen
  features (max_length 128) -- reproduces the model card's figures.
* ``frozen_subset``: the shipped recipe (logistic regression on layers 4-6) fitted on
  the same training subset as the fine-tuned model.
* ``finetuned_subset``: MiniLM-L6 + linear head on mean pooling, fine-tuned end to end
  (AdamW, linear warm-up/decay, weighted cross-entropy), 1 epoch, max_length 64, fp32.

The subset takes at most ``subset / 5`` rows from each (corpus, label) cell (airline
yes/no, CESAMARD yes/no, chatter), seeded; the loss weights every cell equally, as the
shipped head's sample weights do. ``--probe-steps N`` only times N training steps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import data as corpora
from classifiers import evaluate as ev
from classifiers.encoder import Encoder, resolve_encoder
from classifiers.heads import MLPHead, fit_temperature, load_tensors, softmax
from classifiers.model import features_from_layers
from classifiers.train import (
    TrainOptions,
    balanced_weights,
    choose_threshold,
    complaint_rows,
    fit_complaint,
)
from classifiers.training_data import FeatureStore, load_corpora, split_corpora

SEED = 13
CHATTER = ("semeval", "emotion")


def cell_groups(df: pd.DataFrame) -> np.ndarray:
    g = df["corpus"].to_numpy()
    return np.where(np.isin(g, CHATTER), "chatter", g)


def take_subset(train: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """At most n/5 rows per (corpus, label) cell, seeded."""
    rng = np.random.default_rng(seed)
    groups = cell_groups(train)
    cap = n // 5
    keep: list[np.ndarray] = []
    for g in np.unique(groups):
        for y in (0, 1):
            idx = np.flatnonzero((groups == g) & (train["complaint"].to_numpy() == y))
            if len(idx):
                keep.append(rng.permutation(idx)[:cap])
    rows = np.sort(np.concatenate(keep))
    return train.iloc[rows].reset_index(drop=True)


def scores(
    p_air: np.ndarray, p_ces: np.ndarray, p_ttest: np.ndarray, threshold: float, t: dict
) -> dict[str, float]:
    air, ces, tt = t["airline"], t["cesamard"], t["tweeteval_test"]
    return {
        "airline_complaint_macro_f1": ev.binary_macro_f1(
            air["complaint"], (p_air >= threshold).astype(int)
        ),
        "cesamard_complaint_macro_f1": ev.binary_macro_f1(
            ces["complaint"], (p_ces >= threshold).astype(int)
        ),
        "chatter_false_alarm": float(np.mean(p_ttest >= threshold)),
        "chatter_negative_false_alarm": float(
            np.mean(p_ttest[tt["sentiment"].to_numpy() == 0] >= threshold)
        ),
    }


# -- fine-tuning -------------------------------------------------------------------------
class Tuner:
    def __init__(self, max_length: int, seed: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(seed)
        path = resolve_encoder(None)
        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(path)
        self.enc = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.enc.config.hidden_size, 2)
        self.max_length = max_length

    def params(self) -> list:
        return list(self.enc.parameters()) + list(self.head.parameters())

    def logits(self, texts: list[str]):
        batch = self.tok(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        out = self.enc(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # mean pooling
        return self.head(pooled)

    def train(
        self,
        df: pd.DataFrame,
        *,
        lr: float,
        batch_size: int,
        epochs: int,
        max_steps: int | None = None,
    ) -> dict[str, float]:
        torch = self.torch
        texts = df["text"].tolist()
        y = torch.tensor(df["complaint"].to_numpy(), dtype=torch.long)
        w = torch.tensor(balanced_weights(df["complaint"].to_numpy(), cell_groups(df)))
        w = w.float()
        steps_per_epoch = (len(df) + batch_size - 1) // batch_size
        total = steps_per_epoch * epochs if max_steps is None else max_steps
        warmup = max(1, total // 10)
        opt = torch.optim.AdamW(self.params(), lr=lr, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))),
        )
        rng = np.random.default_rng(SEED)
        self.enc.train()
        self.head.train()
        step, losses = 0, []
        started = time.perf_counter()
        for _ in range(epochs):
            order = rng.permutation(len(df))
            for s in range(0, len(df), batch_size):
                idx = order[s : s + batch_size]
                logits = self.logits([texts[i] for i in idx])
                ce = torch.nn.functional.cross_entropy(logits, y[idx], reduction="none")
                loss = (ce * w[idx]).sum() / w[idx].sum()
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.params(), 1.0)
                opt.step()
                sched.step()
                losses.append(float(loss.detach()))
                step += 1
                if step % 25 == 0:
                    rate = step / (time.perf_counter() - started)
                    print(
                        f"  step {step}/{total} loss {np.mean(losses[-25:]):.3f} "
                        f"{rate:.2f} steps/s",
                        flush=True,
                    )
                if max_steps is not None and step >= max_steps:
                    break
            if max_steps is not None and step >= max_steps:
                break
        secs = time.perf_counter() - started
        return {"train_seconds": secs, "steps": step, "steps_per_s": step / secs}

    def predict_logits(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        torch = self.torch
        self.enc.eval()
        self.head.eval()
        out = np.zeros((len(texts), 2), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                idx = order[s : s + batch_size]
                out[idx] = self.logits([texts[i] for i in idx]).float().numpy()
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--weights", type=Path, default=Path("classifiers/weights/default"))
    ap.add_argument("--subset", type=int, default=6000)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--probe-steps", type=int, default=0, help="only time N training steps")
    ap.add_argument("--chatter-test-n", type=int, default=0, help="sample of TweetEval test")
    ap.add_argument("--skip-frozen", action="store_true")
    ap.add_argument("--skip-finetune", action="store_true")
    ap.add_argument(
        "--drop-cesamard",
        action="store_true",
        help="fine-tune without CESAMARD and score all of it (cross-domain)",
    )
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    frames = load_corpora(args.data)
    splits = split_corpora(frames, seed=SEED)
    train_all, val_all = complaint_rows(splits, "train"), complaint_rows(splits, "val")
    chatter_val = splits["tweeteval_val"]
    air_test = splits["airline_test"]
    tests = {
        "airline": air_test[air_test["complaint"] >= 0].reset_index(drop=True),
        "cesamard": splits["cesamard_test"],
        # Evaluation only: scored, never used for training or for picking thresholds.
        "tweeteval_test": corpora.tweeteval_sentiment(args.data, "test"),
    }
    if args.chatter_test_n:  # seeded sample of the chatter test set, to save CPU time
        tt = tests["tweeteval_test"]
        keep = np.sort(np.random.default_rng(SEED).permutation(len(tt))[: args.chatter_test_n])
        tests["tweeteval_test"] = tt.iloc[keep].reset_index(drop=True)
    sub = take_subset(train_all, args.subset, SEED)
    cells = pd.crosstab(cell_groups(sub), sub["complaint"]).to_dict()
    print(f"complaint train {len(train_all)} rows; subset {len(sub)}: {cells}", flush=True)
    result: dict = {
        "settings": {**{k: str(v) for k, v in vars(args).items()}, "seed": SEED},
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "subset_rows": len(sub),
        "full_train_rows": len(train_all),
        "test_rows": {k: len(v) for k, v in tests.items()},
    }

    if args.probe_steps:
        tuner = Tuner(args.max_length, SEED)
        info = tuner.train(
            sub, lr=args.lr, batch_size=args.batch_size, epochs=1, max_steps=args.probe_steps
        )
        print(json.dumps(info, indent=1))
        return

    # -- frozen encoder (cached features, same code path as training) -------------------
    if not args.skip_frozen:
        enc = Encoder(None)
        enc._load()
        torch.set_num_threads(args.threads)
        enc.layers = tuple(range(int(enc._model.config.num_hidden_layers) + 1))
        store = FeatureStore.build(frames, enc, cache_dir=None)
        opts = TrainOptions()
        pos = list(opts.feature_layers)

        def feats(df: pd.DataFrame) -> np.ndarray:
            return features_from_layers(store.rows(df), pos)

        started = time.perf_counter()
        tt_pooled = enc.encode(tests["tweeteval_test"]["text"].tolist(), batch_size=128)
        secs = time.perf_counter() - started
        result["frozen_infer_texts_per_s"] = len(tests["tweeteval_test"]) / secs
        print(f"frozen encoder: {result['frozen_infer_texts_per_s']:.0f} texts/s", flush=True)
        x_test = {
            "airline": feats(tests["airline"]),
            "cesamard": feats(tests["cesamard"]),
            "tweeteval_test": features_from_layers(tt_pooled, pos),
        }

        def evaluate(head: MLPHead, thr: float) -> dict[str, float]:
            p = {k: head.predict_proba(v)[:, 1] for k, v in x_test.items()}
            return scores(p["airline"], p["cesamard"], p["tweeteval_test"], thr, tests)

        config = json.loads((args.weights / "config.json").read_text())
        shipped = MLPHead.from_tensors(
            "complaint",
            config["heads"]["complaint"],
            load_tensors(str(args.weights / "heads.safetensors")),
        )
        result["shipped"] = {
            "threshold": config["complaint_threshold"],
            **evaluate(shipped, float(config["complaint_threshold"])),
        }
        print("shipped", result["shipped"], flush=True)

        def fit_eval(train: pd.DataFrame, val: pd.DataFrame, ces_out: bool) -> dict:
            started = time.perf_counter()
            head, thr, info = fit_complaint(train, val, chatter_val, feats, opts)
            out = {"threshold": thr, "head_fit_seconds": time.perf_counter() - started, **info}
            if ces_out:
                ces = frames["cesamard"].assign(corpus="cesamard")
                pred = (head.predict_proba(feats(ces))[:, 1] >= thr).astype(int)
                out["xdomain_cesamard_complaint_macro_f1"] = ev.binary_macro_f1(
                    ces["complaint"], pred
                )
            else:
                out.update(evaluate(head, thr))
            return out

        no_ces_t, no_ces_v = train_all["corpus"] != "cesamard", val_all["corpus"] != "cesamard"
        result["frozen_full_xdomain"] = fit_eval(train_all[no_ces_t], val_all[no_ces_v], True)
        result["frozen_subset"] = fit_eval(sub, val_all, False)
        sub_no_ces = sub[sub["corpus"] != "cesamard"]
        result["frozen_subset_xdomain"] = fit_eval(sub_no_ces, val_all[no_ces_v], True)
        for k in ("frozen_full_xdomain", "frozen_subset", "frozen_subset_xdomain"):
            print(k, result[k], flush=True)
        del store, enc

    # -- fine-tuned ------------------------------------------------------------------------
    if args.skip_finetune:
        args.out and args.out.write_text(json.dumps(result, indent=1, default=float))
        print(json.dumps(result, indent=1, default=float))
        return
    if args.drop_cesamard:
        sub = sub[sub["corpus"] != "cesamard"].reset_index(drop=True)
        val_all = val_all[val_all["corpus"] != "cesamard"].reset_index(drop=True)
        tests = {
            "airline": tests["airline"],
            "cesamard": frames["cesamard"].assign(corpus="cesamard"),
            "tweeteval_test": tests["tweeteval_test"],
        }
        result["subset_rows"] = len(sub)
    tuner = Tuner(args.max_length, SEED)
    result["finetune_train"] = tuner.train(
        sub, lr=args.lr, batch_size=args.batch_size, epochs=args.epochs
    )
    print("fine-tune", result["finetune_train"], flush=True)
    lv = tuner.predict_logits(val_all["text"].tolist())
    temp = fit_temperature(lv, val_all["complaint"].to_numpy())
    p_val = softmax(lv / temp)[:, 1]
    p_chat = softmax(tuner.predict_logits(chatter_val["text"].tolist()) / temp)[:, 1]
    thr, info = choose_threshold(
        val_all["complaint"].to_numpy(), p_val, p_chat, max_fpr=TrainOptions().max_chatter_fpr
    )
    p = {}
    for k, df in tests.items():
        started = time.perf_counter()
        p[k] = softmax(tuner.predict_logits(df["text"].tolist()) / temp)[:, 1]
        if k == "tweeteval_test":
            result["finetuned_infer_texts_per_s"] = len(df) / (time.perf_counter() - started)
    key = "finetuned_subset_xdomain" if args.drop_cesamard else "finetuned_subset"
    result[key] = {
        "threshold": thr,
        "temperature": temp,
        **info,
        **scores(p["airline"], p["cesamard"], p["tweeteval_test"], thr, tests),
    }
    if args.drop_cesamard:  # scored on every CESAMARD review: the cross-domain figure
        result[key]["xdomain_cesamard_complaint_macro_f1"] = result[key].pop(
            "cesamard_complaint_macro_f1"
        )
    print(key, result[key], flush=True)
    result["total_seconds"] = time.perf_counter() - t0
    text = json.dumps(result, indent=1, default=float)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
