"""Who is the master? Ganeti's ssconf files answer; eventd asks again every few seconds so the
service can run on every master candidate and take over after a failover."""
from __future__ import annotations

import logging
import os
import socket
import time
from typing import Callable

log = logging.getLogger(__name__)


class Ssconf:
    """Reads ``ssconf_<name>`` files (one value, trailing newline) from Ganeti's data dir."""

    def __init__(self, ssconf_dir: str):
        self.ssconf_dir = ssconf_dir

    def read(self, name: str) -> str | None:
        try:
            with open(os.path.join(self.ssconf_dir, f"ssconf_{name}"), encoding="utf-8") as fh:
                return fh.read().strip() or None
        except OSError:
            return None

    def master_node(self) -> str | None:
        return self.read("master_node")

    def cluster_name(self) -> str | None:
        return self.read("cluster_name")


def this_node(configured: str | None = None) -> str:
    """This host's name as Ganeti knows it: the configured override, else the FQDN."""
    return configured or socket.getfqdn()


class MasterCheck:
    """Caches "is this node the master?" (and the cluster name) for ``interval`` seconds."""

    def __init__(self, ssconf: Ssconf, node_name: str, interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.ssconf = ssconf
        self.node_name = node_name
        self._interval = interval
        self._clock = clock
        self._checked_at: float | None = None
        self._is_master = False
        self._readable = True
        self.cluster_name: str | None = None

    def is_master(self) -> bool:
        if self._checked_at is None or self._clock() - self._checked_at >= self._interval:
            self.refresh()
        return self._is_master

    def refresh(self) -> bool:
        master = self.ssconf.master_node()
        self.cluster_name = self.ssconf.cluster_name()
        self._checked_at = self._clock()
        if master is None and self._readable:
            log.error("cannot read ssconf_master_node in %s; acting as standby",
                      self.ssconf.ssconf_dir)
        self._readable = master is not None  # log the problem once, not every interval
        self._is_master = master is not None and _same_host(master, self.node_name)
        return self._is_master


def _same_host(a: str, b: str) -> bool:
    return a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower()
