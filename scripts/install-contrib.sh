#!/usr/bin/env bash
# Editable-install every plugins-contrib/*/ distribution into .venv, so that their entry points
# are discoverable and their tests (collected through testpaths in pytest.ini) can run.
# Idempotent and quiet: prints only the names it installs, and pip's log when one fails.
# Needs synnefo itself installed first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
pip=".venv/bin/pip"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for dir in plugins-contrib/*/; do
  [ -f "$dir/setup.py" ] || continue
  echo "==> installing ${dir%/} (editable)"
  # --no-build-isolation: use the venv's setuptools, no download per distribution.
  if ! "$pip" install --quiet --disable-pip-version-check --no-build-isolation -e "$dir" \
      >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-contrib: failed to install ${dir%/}" >&2
    exit 1
  fi
done
