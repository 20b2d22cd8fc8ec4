"""Figures of the multi-host test (requests, errors, messages, time to recover per fault),
printed in pytest's terminal summary and written to ``var/multihost/figures.md`` as a
Markdown table the README can take."""
from __future__ import annotations

import time
from contextlib import contextmanager

from synnefo.testing.ganeti_lab import REPO

OUTPUT = REPO / "var" / "multihost" / "figures.md"
_ROWS: list[tuple[str, str]] = []


def record(name: str, value) -> None:
    _ROWS.append((name, f"{value:.1f} s" if isinstance(value, float) else str(value)))


@contextmanager
def timed(name: str):
    start = time.monotonic()
    yield
    record(name, time.monotonic() - start)


def lines() -> list[str]:
    return ["| figure | value |", "|---|---|"] + [f"| {name} | {value} |" for name, value in _ROWS]


def report(terminalreporter) -> None:
    if not _ROWS:
        return
    text = lines()
    terminalreporter.write_sep("-", "multi-host deployment: figures")
    for line in text:
        terminalreporter.write_line(line)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("\n".join(text) + "\n")
    terminalreporter.write_line(f"(also in {OUTPUT.relative_to(REPO)})")
