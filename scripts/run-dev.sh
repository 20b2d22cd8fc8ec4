#!/usr/bin/env bash
# Set up and run the whole system on its embedded defaults (SQLite, embedded broker, simulated
# Ganeti, dispatcher in the web process): http://127.0.0.1:6543/ , user demo / password demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> migrating the development database"
.venv/bin/snf-manage -c development.ini db upgrade
echo "==> starting pserve development.ini --reload (Ctrl-C stops)"
exec .venv/bin/pserve development.ini --reload
