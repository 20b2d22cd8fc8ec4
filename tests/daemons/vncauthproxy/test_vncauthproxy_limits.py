"""Descriptor budget pieces of snf-vncauthproxy: caps, throttled accept errors, RLIMIT_NOFILE."""
from __future__ import annotations

import asyncio
import errno

from synnefo.daemons.vncauthproxy import limits


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def emfile_context() -> dict:
    return {"message": "socket.accept() out of system resource",
            "exception": OSError(errno.EMFILE, "Too many open files")}


def test_accept_errors_are_logged_at_most_once_a_second(caplog):
    clock = FakeClock()
    handler = limits.accept_error_handler(limits.Throttle(1.0, clock))
    loop = asyncio.new_event_loop()
    try:
        for _ in range(1000):
            handler(loop, emfile_context())
            clock.now += 0.0001
        clock.now += 1.0
        handler(loop, emfile_context())
    finally:
        loop.close()

    lines = [r for r in caplog.records if "cannot accept connections" in r.getMessage()]
    assert len(lines) == 2
    assert all(r.exc_info is None for r in lines)  # one line each, no traceback
    assert "Too many open files (999 more since the last report)" in lines[1].getMessage()


def test_other_loop_errors_still_reach_the_default_handler(caplog):
    handler = limits.accept_error_handler()
    loop = asyncio.new_event_loop()
    try:
        handler(loop, {"message": "something else", "exception": ValueError("boom")})
    finally:
        loop.close()

    assert any("something else" in r.getMessage() for r in caplog.records)


def test_admission_caps_per_forwarding_and_in_total():
    admission = limits.Admission(per_forwarding=2, total=3)

    assert admission.admit(0) and admission.admit(1)
    assert not admission.admit(2)  # this forwarding is full
    assert admission.admit(0)  # another forwarding gets the last slot
    assert not admission.admit(0)  # the total is full
    admission.release()
    assert admission.admit(0)


def test_budget_leaves_descriptors_for_the_control_endpoint():
    assert limits.unauthenticated_budget(256, nofile=1 << 20) == 256
    assert limits.unauthenticated_budget(256, nofile=128) == 64
    assert limits.unauthenticated_budget(256, nofile=300) == 236

