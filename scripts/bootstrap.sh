#!/usr/bin/env bash
# Creates .venv and installs the pinned Python dependencies when they changed. Idempotent.
# Usage: scripts/bootstrap.sh [base|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
which_set="${1:-base}"
requirements="requirements/${which_set}.txt"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating virtual environment in .venv"
  "$python" -m venv .venv
fi
stamp=".venv/.installed-${which_set}"
digest=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "==> Installing Python dependencies from $requirements"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$digest" > "$stamp"
fi
