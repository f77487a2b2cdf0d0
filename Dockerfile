# syntax=docker/dockerfile:1
# Multi-stage: build a virtualenv with the CPU torch wheel and firstreply, then copy it
# into a slim runtime image that runs as an unprivileged user, fully offline.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY pyproject.toml README.md ./
COPY listener ./listener
COPY classifiers ./classifiers
RUN pip install ".[postgres]" \
    && HF_HUB_OFFLINE=1 python -c "from classifiers.model import TriageModel; TriageModel.load_default().predict(['warm-up'])"

FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="firstreply" \
      org.opencontainers.image.description="Self-hosted social-listening complaint responder" \
      org.opencontainers.image.licenses="Apache-2.0"
# Model weights (encoder package + trained heads) live inside the venv: baked in.
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin firstreply \
    && mkdir -p /data && chown firstreply:firstreply /data
ENV PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PYTHONUNBUFFERED=1 \
    FIRSTREPLY_DATABASE__URL=sqlite:////data/firstreply.db \
    FIRSTREPLY_HEALTH_FILE=/data/firstreply-health.json \
    FIRSTREPLY_METRICS_HOST=0.0.0.0 \
    FIRSTREPLY_SLACK__HOST=0.0.0.0 \
    FIRSTREPLY_METRICS_PORT=9108
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# 3000: Slack button clicks (HTTP mode); 9108: /metrics and /healthz.
EXPOSE 3000 9108
# 503 from /healthz means the scheduler's jobs stopped running (not that X is down).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:9108/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["firstreply"]
CMD ["run"]
