"""What the ``select_backend`` hook chooses among: plain values, no database session."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackendCandidate:
    """A backend that takes new servers (neither drained nor offline).

    :param id: the backend's id.
    :param name: its name (``snf-manage backend-list``).
    :param load: its number of servers not deleted (including those still building).
    """
    id: int
    name: str
    load: int
