#!/usr/bin/env bash
# Install the Dapr SDKs the sidecar tests drive, each in its own environment in a cache
# outside the repository, and print "<name> <path>" per environment. Idempotent and fast
# when cached: an environment whose recorded requirements match is reused untouched.
#
#   scripts/sdk-envs.sh                  every environment
#   scripts/sdk-envs.sh py-dapr-1.17.5   only the named ones
#
# Each Python SDK generation gets its own virtual environment: their generated protocol
# stubs have no protobuf package, so two generations cannot be imported into one process.
# dapr-ext-workflow 1.18.3 does not pin dapr, so dapr 1.18.3 is pinned beside it (pip would
# otherwise mix 1.19 files into the same folder).
#
# FLOWPORT_CACHE (default ~/.cache/flowport) moves the cache; PYTHON (default python3, 3.10+)
# picks the interpreter of the virtual environments.
set -euo pipefail

declare -A REQUIREMENTS=(
    [py-dapr-1.17.5]="dapr==1.17.5"
    [py-dapr-1.18.3]="dapr==1.18.3 dapr-ext-workflow==1.18.3"
    [py-dapr-1.19.0]="dapr[workflow]==1.19.0"
    [py-durabletask-0.17.4]="durabletask-dapr==0.17.4"
    [js-dapr-3.18.0]="@dapr/dapr@3.18.0"
)
ORDER=(py-dapr-1.17.5 py-dapr-1.18.3 py-dapr-1.19.0 py-durabletask-0.17.4 js-dapr-3.18.0)

PYTHON=${PYTHON:-python3}
ROOT=${FLOWPORT_CACHE:-$HOME/.cache/flowport}/sdk
mkdir -p "$ROOT"

install_env() {  # name directory requirements
    local name=$1 dir=$2 requirements=$3
    rm -rf "$dir"
    if [[ $name == js-* ]]; then
        mkdir -p "$dir"
        (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent --save-exact $requirements) >&2
    else
        "$PYTHON" -m venv "$dir"
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check $requirements >&2
    fi
}

names=("$@")
(( ${#names[@]} )) || names=("${ORDER[@]}")
for name in "${names[@]}"; do
    requirements=${REQUIREMENTS[$name]:-}
    if [[ -z $requirements ]]; then
        echo "sdk-envs: unknown environment '$name'; known: ${ORDER[*]}" >&2
        exit 2
    fi
    dir=$ROOT/$name
    marker=$dir/.flowport-requirements
    # One installer at a time per environment (worktrees and CI may share the cache).
    exec {lock}>"$ROOT/.$name.lock"
    flock "$lock"
    if [[ ! -f $marker || $(<"$marker") != "$requirements" ]]; then
        echo "sdk-envs: installing $name ($requirements) ..." >&2
        if ! install_env "$name" "$dir" "$requirements"; then
            rm -rf "$dir"
            echo "sdk-envs: installing $name failed" >&2
            exit 1
        fi
        echo "$requirements" >"$marker"
    fi
    exec {lock}>&-
    echo "$name $dir"
done
