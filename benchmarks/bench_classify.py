"""Throughput of the triage model (all heads): fine-tuned v2, frozen v1, naive pipeline, VADER.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/bench_classify.py [--n 1024] [--model DIR] [--device cpu]

Prints texts/s, in one run, for: the model (default: shipped v2) and the frozen v1
model (``classifiers/weights/frozen-v1``), ``TriageModel.predict`` at batch 1, 32 and
256 (encoder + every head + signals + topics); ``transformers.pipeline
("text-classification")`` on the same encoder with a fresh 3-label head, called once per
text (the naive way) and with ``batch_size`` 32 and 256; VADER per text. Texts are real
tweets from the airline corpus (short, like production mentions).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _rate(fn: Callable[[Sequence[str]], object], texts: Sequence[str], batch: int) -> float:
    fn(texts[: min(batch, 8)])  # warm-up
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024, help="texts per measurement")
    parser.add_argument("--n-single", type=int, default=256, help="texts for per-text runs")
    parser.add_argument("--model", default=None, help="model directory (default: shipped)")
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = parser.parse_args()

    import pandas as pd
    import torch

    from classifiers.encoder import pick_device, resolve_encoder
    from classifiers.model import FROZEN_V1_DIR, load

    device = pick_device(args.device)
    df = pd.read_csv(Path(args.data_dir) / "twitter-us-airline-sentiment" / "Tweets.csv")
    texts = df["text"].astype(str).sample(n=args.n, random_state=0).tolist()
    rows: list[tuple[str, int, float]] = []
    model = load(args.model, device=device)
    for label, triage in (("firstreply", model), ("frozen v1", load(FROZEN_V1_DIR, device=device))):
        label = f"{label} ({triage.name.split('/')[0]}, max_len {triage.encoder.max_length})"
        for batch in (1, 32, 256):
            n = args.n_single if batch == 1 else args.n
            rows.append((label, batch, _rate(triage.predict, texts[:n], batch)))

    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    path = resolve_encoder(model.config.encoder.get("path") or model.config.encoder["name"])
    clf = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3)
    pipe = pipeline(
        "text-classification",
        model=clf,
        tokenizer=AutoTokenizer.from_pretrained(path),
        device=0 if device.startswith("cuda") else -1,
    )

    def naive(batch: Sequence[str]) -> object:
        return [pipe(t) for t in batch]

    rows.append(("naive pipeline, per text (fp32)", 1, _rate(naive, texts[: args.n_single], 1)))
    for batch in (32, 256):

        def batched(chunk: Sequence[str], size: int = batch) -> object:
            return pipe(list(chunk), batch_size=size, truncation=True)

        rows.append(("pipeline, batch_size (fp32)", batch, _rate(batched, texts, batch)))

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    rows.append(
        ("VADER, per text", 1, _rate(lambda b: [vader.polarity_scores(t) for t in b], texts, 1))
    )

    cpu = f"{platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}"
    where = torch.cuda.get_device_name(0) if device.startswith("cuda") else "CPU"
    print(f"# classify throughput on {where}, {os.cpu_count()} CPU cores ({cpu})")
    print(f"{'system':<52} {'batch':>5} {'texts/s':>9}")
    for name, batch, rate in rows:
        print(f"{name:<52} {batch:>5} {rate:>9.1f}")


if __name__ == "__main__":
    main()
