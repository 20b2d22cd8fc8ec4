"""``python -m synnefo.testing.recording_dispatcher <ini> <record file>``: one dispatcher worker
that also appends a line per ``backend_job_finished`` hook call to a file.

Tests run several of these at once to check that no notification is applied twice (a second
application would fire the hook a second time) and that none is lost.
"""
from __future__ import annotations

import os
import sys

from synnefo.core.hookspecs import hookimpl


class JobRecorder:
    """Appends ``<server id> <job id> <status>`` lines (O_APPEND: safe across processes)."""

    def __init__(self, path: str):
        self.path = path

    @hookimpl
    def backend_job_finished(self, event) -> None:
        line = f"{event.server_id} {event.job_id} {event.status}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def read_records(path) -> list[tuple[int, int, str]]:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [(int(a), int(b), c) for a, b, c in (line.split() for line in f if line.strip())]


def main(argv=None) -> None:
    from synnefo.core.app import build_core
    from synnefo.daemons.config import load_settings, setup_logging
    from synnefo.daemons.dispatcher.cli import load_options
    from synnefo.daemons.dispatcher.worker import run_worker
    uri, record = (argv or sys.argv[1:])[:2]
    setup_logging(uri)
    core = build_core(load_settings(uri), extra_hook_plugins=[("job-recorder", JobRecorder(record))])
    try:
        run_worker(core, load_options(uri, 1))
    finally:
        core.close()


if __name__ == "__main__":
    main()
