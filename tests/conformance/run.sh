#!/usr/bin/env bash
# Conformance: validate every document sgconv exports against the providers' official
# Python SDKs (tests/conformance/README.md). Creates target/conformance-venv with the pinned
# SDKs (reused while requirements.txt and the Python version are unchanged), builds sgconv,
# runs the harness. Needs python3 >= 3.10 and the package registry (first run only).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1
venv=target/conformance-venv
stamp="$(sha256sum tests/conformance/requirements.txt | cut -d' ' -f1) $(python3 --version)"
if [[ ! -x $venv/bin/python || "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    echo "conformance: installing the pinned SDKs into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        -r tests/conformance/requirements.txt
    "$venv/bin/pip" check
    echo "$stamp" > "$venv/.stamp"
fi
cargo build --quiet --locked --bin sgconv
out=target/conformance
rm -rf "$out"
"$venv/bin/python" tests/conformance/harness.py \
    --sgconv target/debug/sgconv --fixtures tests/fixtures --out "$out"
