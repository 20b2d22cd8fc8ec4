"""The systemd units of deploy/systemd/ pass ``systemd-analyze verify`` (with the programs of
this checkout in place of /opt/synnefo/bin), and each is hardened, unprivileged and restarted."""
from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synnefo.core.settings import parse_settings
from synnefo.testing import databases

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
             "ProtectHome": "yes"}


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(path)
    return unit


@pytest.fixture(scope="module")
def systemd_analyze():
    found = shutil.which("systemd-analyze")
    if found is None:
        message = "systemd-analyze is missing (scripts/install-test-deps.sh installs systemd)"
        if databases.in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_every_unit_passes_systemd_analyze_verify(systemd_analyze, tmp_path):
    bindir = os.path.dirname(sys.executable) + "/"
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/synnefo/bin/", bindir))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert {"snf-web.service", "snf-dispatcher.service", "snf-ganeti-eventd.service",
            "snf-vncauthproxy.service", "snf-reconcile.service", "snf-reconcile.timer"} <= set(names)
    result = subprocess.run([systemd_analyze, "verify", *names], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if any(name in line for name in names)]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_every_service_is_hardened_unprivileged_and_restarted(path):
    service = read_unit(path)["Service"]
    assert {k: service.get(k) for k in HARDENING} == HARDENING
    if path.name == "snf-ganeti-eventd.service":  # root like the hook, whose spool it shares,
        assert service["CapabilityBoundingSet"] == "CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE"
    else:                                         # but with no other capability
        assert service.get("User") not in (None, "root")
        assert service.get("CapabilityBoundingSet") == ""
    if service.get("Type") != "oneshot":
        assert service.get("Restart") == "on-failure"
    assert service.get("EnvironmentFile", "").endswith("synnefo.env")   # secrets, not the .ini


def test_the_reconcile_timer_checks_every_server_within_reconciliation_min():
    period = read_unit(UNITS / "snf-reconcile.timer")["Timer"]["OnUnitActiveSec"]
    minutes = int(re.fullmatch(r"(\d+)min", period).group(1))
    command = read_unit(UNITS / "snf-reconcile.service")["Service"]["ExecStart"]
    assert f"--interval {minutes} " in command       # the staggered batch is sized for it
    assert minutes <= parse_settings({}, environ={}).reconciliation_min
    assert "--fix-stale" in command and "--fix-orphans" not in command
