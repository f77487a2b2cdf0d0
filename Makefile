# One recipe per chore; CI (.ci/run) uses the same commands.
PY ?= python
# PyTorch's CPU-only wheels: PyPI's default Linux wheel is the multi-GB CUDA build.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: install lint test test-all bench bench-1m demo

install:
	$(PY) -m pip install torch==2.13.0 --index-url $(TORCH_INDEX)
	$(PY) -m pip install -e ".[dev]"

lint:
	ruff check .
	mypy
	hadolint Dockerfile

test:
	$(PY) -m pytest

test-all:
	$(PY) -m pytest -m "slow or not slow"

bench:
	$(PY) benchmarks/bench_classify.py
	$(PY) benchmarks/bench_store.py
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_alert_latency.py
	$(PY) benchmarks/bench_digest.py
	$(PY) benchmarks/bench_backfill.py

# About 40 minutes on 2 cores: a 1M-row file through the CLI, killed, interrupted, resumed.
bench-1m:
	$(PY) benchmarks/bench_backfill_resume.py --rows 1000000

demo:
	firstreply demo
