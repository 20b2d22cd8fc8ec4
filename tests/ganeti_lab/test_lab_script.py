"""``scripts/ganeti-lab.sh`` itself: what a user sees when the lab is not there or cannot be
made (these need no running lab)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from synnefo.testing.ganeti_lab import SCRIPT


def run(*args: str, lab_dir, user: str | None = None) -> subprocess.CompletedProcess:
    argv = ["bash", str(SCRIPT), *args]
    if user:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GANETI_LAB_DIR": str(lab_dir)})


def test_status_of_a_lab_that_is_not_up(tmp_path):
    result = run("status", lab_dir=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (3, "down")


def test_exec_and_env_without_a_lab_say_how_to_start_one(tmp_path):
    for args in (("exec", "gnt-instance", "list"), ("env",)):
        result = run(*args, lab_dir=tmp_path)
        assert result.returncode != 0
        assert "not up" in result.stderr, result.stderr


def test_unknown_command_prints_the_usage(tmp_path):
    result = run("sideways", lab_dir=tmp_path)
    assert result.returncode == 2 and "usage:" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to drop to another user")
def test_up_without_root_fails_with_the_reason(tmp_path):
    tmp_path.chmod(0o777)
    result = run("up", lab_dir=tmp_path, user="65534")
    assert result.returncode != 0
    assert "needs root" in result.stderr, result.stderr
