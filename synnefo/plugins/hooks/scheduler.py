"""The built-in ``select_backend`` hook (entry point ``default-scheduler``).

Picks the enabled backend with the fewest non-deleted servers (ties: the lowest id). It runs
last among ``select_backend`` implementations (``trylast``), so any other plugin that answers wins.
"""
from __future__ import annotations

from synnefo.core.contracts.scheduling import BackendCandidate
from synnefo.core.hookspecs import hookimpl


@hookimpl(trylast=True)
def select_backend(backends: list[BackendCandidate], flavor, owner) -> BackendCandidate | None:
    if not backends:
        return None
    return min(backends, key=lambda b: (b.load, b.id))
