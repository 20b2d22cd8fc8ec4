"""The audit-log hook logs state changes and finished jobs at INFO."""
import datetime as dt
import logging

from synnefo.core.events import BackendJobFinished, VmStateChanged
from synnefo.plugins.hooks import audit

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_logs_state_changes_and_jobs(caplog):
    caplog.set_level(logging.INFO, logger="synnefo.audit")
    audit.vm_state_changed(event=VmStateChanged(7, 3, "BUILD", "STARTED", False, 12,
                                                "OP_INSTANCE_CREATE", NOW))
    audit.backend_job_finished(event=BackendJobFinished(7, 12, "OP_INSTANCE_CREATE", "error",
                                                        "disk full", NOW))
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert lines[0] == "server 7 (owner 3): BUILD -> STARTED (job 12 OP_INSTANCE_CREATE)"
    assert lines[1] == "server 7: job 12 OP_INSTANCE_CREATE finished error: disk full"
