"""Backends are listed at the same time, not one after another."""
import threading
from types import SimpleNamespace

from synnefo.core.services.reconciliation import fetch_all


def test_backends_are_listed_in_parallel():
    # Each listing waits until every backend's listing has started: one after another, the
    # first would wait alone and the barrier would break.
    barrier = threading.Barrier(3, timeout=10)

    class WaitingDriver:
        def list_instances(self):
            barrier.wait()
            return []

    core = SimpleNamespace(driver_for=lambda backend: WaitingDriver())
    backends = [SimpleNamespace(id=i, name=f"cluster{i}") for i in range(3)]
    fetched = fetch_all(core, backends, pending={})
    assert sorted(fetched) == [0, 1, 2]
    assert all(f.view is not None and f.calls == 1 for f in fetched.values())
