"""Latencies measured by the lab tests (create->ACTIVE, each action), printed in pytest's
terminal summary (with or without ``-s``) and written to ``var/ganeti-lab/latencies.txt``."""
from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from pathlib import Path

from synnefo.testing.ganeti_lab import REPO

_SAMPLES: dict[str, list[float]] = {}
OUTPUT = REPO / "var" / "ganeti-lab" / "latencies.txt"


def record(name: str, seconds: float) -> None:
    _SAMPLES.setdefault(name, []).append(seconds)


@contextmanager
def timed(name: str):
    """Record how long the ``with`` block took under ``name``."""
    start = time.monotonic()
    yield
    record(name, time.monotonic() - start)


def lines() -> list[str]:
    rows = [f"{'action':34} {'n':>3} {'median s':>9} {'max s':>7}"]
    for name, values in sorted(_SAMPLES.items()):
        rows.append(f"{name:34} {len(values):3d} {statistics.median(values):9.2f} "
                    f"{max(values):7.2f}")
    return rows


def report(terminalreporter) -> None:
    if not _SAMPLES:
        return
    text = lines()
    terminalreporter.write_sep("-", "real Ganeti lab: API request -> state seen in the API")
    for line in text:
        terminalreporter.write_line(line)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("\n".join(text) + "\n")
    terminalreporter.write_line(f"(also in {OUTPUT.relative_to(REPO)})")
