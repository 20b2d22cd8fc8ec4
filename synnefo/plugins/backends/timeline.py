"""Run callables at given monotonic times on one daemon thread (started on first use)."""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)


class Timeline:
    """Tasks run in (due time, submission order); a task that raises is logged and skipped."""

    def __init__(self, name: str):
        self.name = name
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._closed = False

    def call_at(self, due: float, task: Callable[[], None]) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError(f"timeline {self.name} is closed")
            heapq.heappush(self._heap, (due, next(self._seq), task))
            self._ensure_thread()
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every scheduled task has run; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=f"timeline-{self.name}",
                                            daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            task = self._next_task()
            if task is None:
                return
            try:
                task()
            except Exception:  # the thread is an edge: one bad task must not stop the others
                log.exception("timeline %s: task %r failed", self.name, task)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _next_task(self):
        with self._cond:
            while not self._closed:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    self._busy = True
                    return heapq.heappop(self._heap)[2]
                timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                self._cond.wait(timeout)
            return None
