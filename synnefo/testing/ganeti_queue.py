"""Write Ganeti job files into a queue directory the way Ganeti 3.0 does (for eventd tests).

Two writers, as on a real master (``fixtures/ganeti-3.0/README.md``):

* ``luxid`` writes queued versions in compact JSON through ``job-<id>-<pid>-<n>.tmp``, and the
  ``serial`` file through ``serial-<pid>-<n>.tmp``;
* the job process writes every later version with ``", "``/``": "`` separators and a
  ``process_id`` through ``job-<id><random>.new``.

Each version is written to the temporary name and renamed to ``job-<id>``; the final file is never
written in place. ``archive`` moves ``job-<id>`` to ``archive/<id // 10000>/job-<id>``.
"""
from __future__ import annotations

import itertools
import json
import os
import secrets
import string

from synnefo.plugins.backends.simcluster import Job

LIVELOCKS = "/var/run/ganeti/livelocks"
_ALPHABET = string.ascii_lowercase + string.digits


class JobQueueWriter:
    def __init__(self, queue_dir: str, luxid_pid: int = 4242, process_pid: int = 4343):
        self.queue_dir = str(queue_dir)
        self.luxid_pid = luxid_pid
        self.process_pid = process_pid
        self._counter = itertools.count(1)
        os.makedirs(self.queue_dir, exist_ok=True)

    def path(self, job_id: int) -> str:
        return os.path.join(self.queue_dir, f"job-{int(job_id)}")

    def write(self, job: Job) -> str:
        """Write the job's current state as the writer Ganeti would use for it."""
        if job.status == "queued" and job.start_ts is None:
            return self._write_luxid(job)
        return self._write_process(job)

    def write_serial(self, last_job_id: int) -> None:
        tmp = os.path.join(self.queue_dir, f"serial-{self.luxid_pid}-{next(self._counter)}.tmp")
        self._replace(tmp, os.path.join(self.queue_dir, "serial"), f"{last_job_id}\n")

    def archive(self, job_id: int) -> str:
        folder = os.path.join(self.queue_dir, "archive", str(int(job_id) // 10000))
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, f"job-{int(job_id)}")
        os.rename(self.path(job_id), target)
        return target

    def _write_luxid(self, job: Job) -> str:
        op = {"input": job.input, "status": job.status, "result": job.result, "log": job.log,
              "priority": 0, "start_timestamp": job.start_ts, "exec_timestamp": job.exec_ts,
              "end_timestamp": job.end_ts}
        data = {"id": job.id, "ops": [op], "received_timestamp": job.received_ts,
                "start_timestamp": None, "end_timestamp": None,
                "livelock": f"{LIVELOCKS}/job_{job.id:06d}_{job.received_ts[0]}"}
        tmp = os.path.join(self.queue_dir,
                           f"job-{job.id}-{self.luxid_pid}-{next(self._counter)}.tmp")
        return self._replace(tmp, self.path(job.id), json.dumps(data, separators=(",", ":")))

    def _write_process(self, job: Job) -> str:
        op = {"input": job.input, "status": job.status, "result": job.result, "log": job.log,
              "start_timestamp": job.start_ts, "exec_timestamp": job.exec_ts,
              "end_timestamp": job.end_ts, "priority": 0}
        data = {"id": job.id, "ops": [op], "start_timestamp": job.start_ts,
                "end_timestamp": job.end_ts, "received_timestamp": job.received_ts,
                "livelock": f"{LIVELOCKS}/job_{job.id:06d}_{job.received_ts[0]}",
                "process_id": self.process_pid}
        suffix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        tmp = os.path.join(self.queue_dir, f"job-{job.id}{suffix}.new")
        return self._replace(tmp, self.path(job.id), json.dumps(data))

    @staticmethod
    def _replace(tmp: str, target: str, text: str) -> str:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.rename(tmp, target)
        return target
