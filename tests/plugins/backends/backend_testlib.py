"""Helpers shared by the backend driver tests (recorded RAPI exchanges, a recording bus)."""
from __future__ import annotations

import json
import os
import threading

RAPI_FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ganeti-3.0",
                             "rapi")
USERS = {"admin": "secret", "reader": "readonly"}


def rapi_fixture(name: str) -> dict:
    """One recorded RAPI exchange of the real Ganeti 3.0.2 cluster."""
    with open(os.path.join(RAPI_FIXTURES, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


class RecordingPublisher:
    """Stands in for the bus: remembers every message, in order."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    def publish(self, message) -> None:
        with self._lock:
            self.messages.append(message)

    def bodies(self, kind: str | None = None) -> list[dict]:
        with self._lock:
            return [m.body for m in self.messages if kind is None or m.body["type"] == kind]

    def close(self) -> None:
        pass
