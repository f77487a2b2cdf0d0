"""Classification throughput of the triage model on a GPU (all heads, one encoder pass).

Prints texts/s at several batch sizes over real customer posts (the demo sample,
repeated with a counter so no two texts are identical), plus the encoder alone, so the
share of the heads is visible. Usage:

    python benchmarks/bench_classify_gpu.py [--model DIR] [--n 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: shipped)")
    ap.add_argument("--n", type=int, default=200_000, help="texts per measurement")
    ap.add_argument("--batches", default="256,1024,4096")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from classifiers.model import load

    sample = ROOT / "listener" / "demo" / "sample.jsonl"
    base = [json.loads(line)["text"] for line in sample.open(encoding="utf-8")]
    texts = [f"{base[i % len(base)]} #{i}" for i in range(args.n)]
    print(
        f"# {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}, "
        f"torch {torch.__version__}, {args.n:,} texts"
    )
    print(f"{'what':<28} {'batch':>6} {'texts/s':>10}")
    for batch in (int(b) for b in args.batches.split(",")):
        model = load(args.model, device="auto", batch_size=batch)
        model.predict(texts[: batch * 2])  # warm-up: load, kernels, allocator
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.predict(texts)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        all_heads = args.n / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.encoder.encode(texts)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        encoder = args.n / (time.perf_counter() - t0)
        print(f"{'all heads (predict)':<28} {batch:>6} {all_heads:>10,.0f}")
        print(f"{'encoder only':<28} {batch:>6} {encoder:>10,.0f}")


if __name__ == "__main__":
    main()
