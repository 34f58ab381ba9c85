# One image for the gateway and the example workers (compose.yaml builds it once and runs it
# with different commands): Flowport with the Temporal and Conductor components and what the
# example workers import (the `examples` extra).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY contracts contracts
COPY gateway gateway
COPY components components
COPY builtin_engine builtin_engine
COPY flowport_client flowport_client
RUN pip install --no-cache-dir '.[examples]'

COPY examples examples
COPY deploy deploy

EXPOSE 3500 9090 50001
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3500/v1.0/healthz')"
# 0.0.0.0 inside the container; compose.yaml publishes the port on the host's loopback only.
CMD ["flowport", "serve", "--resources-path", "deploy/components", "--host", "0.0.0.0", "--port", "3500"]
