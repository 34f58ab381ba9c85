#!/usr/bin/env bash
# Create .venv and install Flowport into it (editable). Idempotent.
#   scripts/setup.sh            the core: the gateway and the built-in engine (what scripts/run.sh serves)
#   scripts/setup.sh examples   plus the Temporal and Conductor components, what the example workers
#                               import, and the Temporal CLI with its dev server (.venv/bin/temporal)
#   scripts/setup.sh test       everything: every extra plus the test tooling (pytest, mypy, ruff)
# Then run the command line as .venv/bin/flowport (or `source .venv/bin/activate` first).
set -euo pipefail
cd "$(dirname "$0")/.."

case ${1:-} in
    "") target=. ;;
    examples) target=".[examples,temporal-cli]" ;;
    test) target=".[test]" ;;
    *) echo "usage: scripts/setup.sh [examples|test]" >&2; exit 2 ;;
esac

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
# setuptools announces every editable install with a warning that a folder named like a package
# in the current directory could shadow it; here those folders are the packages themselves.
PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install --quiet -e "$target"
