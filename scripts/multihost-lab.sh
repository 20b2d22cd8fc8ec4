#!/usr/bin/env bash
# The multi-host deployment of tests/multihost, kept up for a person: every role in its own
# network namespace (docs/deployment.md, "Tested: every role on its own host"). Prints the
# load balancer's URL and each host's namespace; Ctrl-C takes it down (the Ganeti lab stays).
# Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m synnefo.testing.multihost_deployment "$@"
