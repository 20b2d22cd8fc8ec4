"""The multi-host deployment (``synnefo.testing.multihost``) for the whole module.

Outside CI, a machine that cannot build the hosts skips with the reason; in CI (``CI=true``)
that is a failure. Its files (each host's ``.ini`` and logs) are in ``var/multihost/<tag>/``
(the last three runs are kept). The Ganeti lab is reused when it is up, else brought up and
taken down afterwards (``GANETI_LAB_KEEP=1`` keeps it), as in tests/ganeti_lab.
"""
from __future__ import annotations

import os
import secrets
import shutil

import pytest

from synnefo.testing import databases
from synnefo.testing.ganeti_lab import REPO, LabUnavailable, bring_up, is_up
from synnefo.testing.multihost import HostsUnavailable, preconditions
from synnefo.testing.multihost_deployment import Deployment

import mhfigures as figures


def _unavailable(reason: str):
    if databases.in_ci():
        pytest.fail(f"CI needs the multi-host deployment: {reason}")
    pytest.skip(f"the multi-host deployment cannot run here: {reason}")


def _run_dir(tag: str, keep: int = 3):
    runs = REPO / "var" / "multihost"
    runs.mkdir(parents=True, exist_ok=True)
    for old in sorted(runs.glob("run-*"),
                      key=lambda p: p.stat().st_mtime)[:-keep or None]:
        shutil.rmtree(old, ignore_errors=True)
    path = runs / tag
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def deployment():
    reason = preconditions()
    if reason:
        _unavailable(reason)
    lab_was_up = is_up()
    try:
        lab = bring_up()
    except LabUnavailable as exc:
        _unavailable(str(exc))
    tag = secrets.token_hex(2)
    deployment = Deployment(_run_dir(f"run-{tag}"), tag, lab, f"mh{secrets.token_hex(3)}-")
    try:
        with figures.timed("build the hosts"):
            deployment.build()
    except HostsUnavailable as exc:
        deployment.close()
        _unavailable(str(exc))
    yield deployment
    deployment.close()
    if not lab_was_up and os.environ.get("GANETI_LAB_KEEP", "") not in ("1", "true", "yes"):
        lab.script("down", timeout=120)


def pytest_terminal_summary(terminalreporter):
    figures.report(terminalreporter)
