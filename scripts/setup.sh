#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install synnefo into it, editable. Usage: scripts/setup.sh [extra]
# (default: all, every node role; "test" adds the test tools, see setup.py)
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-all}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
echo "==> installing synnefo${extra:+[$extra]} into .venv"
.venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel
.venv/bin/pip install --quiet --disable-pip-version-check -e ".${extra:+[$extra]}"
