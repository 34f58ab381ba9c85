# The Flowport gateway (and, with another command, the example workers) as an image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY contracts contracts
COPY gateway gateway
COPY components components
COPY builtin_engine builtin_engine
RUN pip install --no-cache-dir .

COPY examples examples
COPY deploy deploy

EXPOSE 3500
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3500/v1.0/healthz')"
CMD ["flowport", "serve", "--resources-path", "deploy/components", "--host", "0.0.0.0", "--port", "3500"]
