#!/usr/bin/env bash
# Set up and run the whole test suite: SQLite + the embedded broker, and the real PostgreSQL,
# MariaDB and RabbitMQ (started here when installed but stopped).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if [ -f scripts/install-test-deps.sh ]; then bash scripts/install-test-deps.sh; fi
bash scripts/install-contrib.sh
bash scripts/start-services.sh
echo "==> running the test suite"
exec .venv/bin/pytest "$@"
