#!/usr/bin/env bash
# Create .venv and install Flowport into it (editable). Idempotent.
#   scripts/setup.sh          runtime dependencies only
#   scripts/setup.sh test     plus test tooling (pytest, mypy, ruff, the Temporal CLI)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: Flowport needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
# pip itself at a known version, like the test tools (see the test extra in pyproject.toml).
.venv/bin/python -m pip install --quiet pip==26.3
if [[ ${1:-} == "test" ]]; then
    .venv/bin/python -m pip install --quiet -e '.[test]'
else
    .venv/bin/python -m pip install --quiet -e .
fi
