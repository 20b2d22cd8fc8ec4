"""Fixtures of the real-Ganeti tests: one lab and one deployment for the whole session.

Outside CI, a machine that cannot run the lab skips these tests with the reason; in CI
(``CI=true``) that is a failure. ``GANETI_LAB_KEEP=1`` leaves a lab this session brought up
running afterwards (the next run reuses it).
"""
from __future__ import annotations

import os
import secrets

import pytest

from synnefo.testing import databases
from synnefo.testing.ganeti_lab import LabUnavailable, bring_up, is_up

import labstack
import latencies


@pytest.fixture(scope="session")
def ganeti_lab():
    was_up = is_up()
    try:
        lab = bring_up()
    except LabUnavailable as exc:
        if databases.in_ci():
            pytest.fail(f"CI needs the Ganeti lab: {exc}")
        pytest.skip(f"the Ganeti lab cannot run here: {exc}")
    yield lab
    if not was_up and os.environ.get("GANETI_LAB_KEEP", "") not in ("1", "true", "yes"):
        lab.script("down", timeout=120)


@pytest.fixture(scope="session")
def lab_db_url():
    with databases.throwaway_database("postgresql") as url:
        yield url


@pytest.fixture(scope="session")
def stack(ganeti_lab, lab_db_url):
    """The deployment every lab test drives. Its instance prefix is unique to this session and
    deliberately unlike ``t<hex>-``: other sessions on the same broker delete such queues when
    they end. Its files live under var/ganeti-lab/runs/ (pytest's shared temporary directory
    is pruned by any other pytest run of the same user, even mid-session)."""
    prefix = f"lab{secrets.token_hex(3)}-"
    stack = labstack.Stack(ganeti_lab, labstack.run_dir(prefix), lab_db_url, prefix)
    yield stack
    stack.close()


@pytest.fixture(scope="session")
def rapi(ganeti_lab):
    client = ganeti_lab.rapi()
    yield client
    client.close()


@pytest.fixture
def api(stack):
    return stack.api


def pytest_terminal_summary(terminalreporter):
    latencies.report(terminalreporter)
