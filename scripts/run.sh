#!/usr/bin/env bash
# Set up and serve Flowport on its embedded default: the built-in durable engine (SQLite)
# hosting the example workflows, on http://127.0.0.1:3500 (Dapr's HTTP port).
# Extra arguments go to `flowport serve` (for example --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/flowport serve --resources-path examples/builtin/components "$@"
