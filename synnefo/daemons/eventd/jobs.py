"""Pure logic: a Ganeti job file -> one ``ganeti-op-status`` event per instance opcode.

Nothing here touches the file system or the broker. The job file format (Ganeti 3.0) is
described in ``tests/fixtures/ganeti-3.0/README.md``: top-level ``id``, ``ops`` and
``received/start/end_timestamp``; per op ``input`` (with ``OP_ID``), ``status``, ``result``,
``log`` and ``start/exec/end_timestamp``. Timestamps are ``[seconds, microseconds]`` or null.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from synnefo.core import messages
from synnefo.core.contracts.bus import Message
from synnefo.core.timeutil import from_ganeti_timestamp

JOB_FILE_RE = re.compile(r"job-([0-9]+)")
FINALIZED = frozenset({"success", "error", "canceled"})


class BadJobFile(ValueError):
    """The file is not a complete Ganeti job (half-written, truncated or not a job at all)."""


@dataclass(frozen=True)
class OpEvent:
    """The state of one opcode of one job, as eventd publishes it."""
    job_id: int
    index: int
    instance: str
    opcode: str
    status: str
    logmsg: str | None
    event_time: dt.datetime

    @property
    def key(self) -> tuple[int, int, str]:
        """What makes an event a duplicate: the same job, opcode index and status."""
        return (self.job_id, self.index, self.status)

    def to_message(self, cluster: str | None) -> Message:
        return messages.op_status(self.instance, self.opcode, self.job_id, self.status,
                                  self.event_time, logmsg=self.logmsg, cluster=cluster)


def job_id_of(file_name: str) -> int | None:
    """The job id of a queue file name, or None for temp files, ``serial``, ``lock`` ..."""
    match = JOB_FILE_RE.fullmatch(file_name)
    return int(match.group(1)) if match else None


def parse_job(data: bytes | str) -> dict:
    """Decode a job file; raises BadJobFile if it is not a complete job."""
    try:
        job = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJobFile(f"not valid JSON: {exc}") from None
    if not isinstance(job, dict) or not isinstance(job.get("id"), int) \
            or not isinstance(job.get("ops"), list):
        raise BadJobFile("no integer 'id' or no 'ops' list")
    return job


def op_events(job: dict) -> list[OpEvent]:
    """One event per opcode that targets exactly one instance, in opcode order."""
    events = []
    for index, op in enumerate(job["ops"]):
        instance = instance_of(op.get("input") or {})
        if instance is not None:
            events.append(_event(job, index, op, instance))
    return events


def instance_of(op_input: dict) -> str | None:
    """The single instance an opcode targets (``instance_name`` or a one-item ``instances``)."""
    name = op_input.get("instance_name")
    if isinstance(name, str) and name:
        return name
    names = op_input.get("instances")
    if isinstance(names, list) and len(names) == 1 and isinstance(names[0], str):
        return names[0]
    return None


def _event(job: dict, index: int, op: dict, instance: str) -> OpEvent:
    status = op.get("status") or "queued"
    return OpEvent(job_id=job["id"], index=index, instance=instance,
                   opcode=(op.get("input") or {}).get("OP_ID", "OP_UNKNOWN"), status=status,
                   logmsg=log_message(op, status), event_time=event_time(job, op, status))


def event_time(job: dict, op: dict, status: str) -> dt.datetime:
    """When the op reached ``status``, from the job's own timestamps (never the local clock)."""
    if status in FINALIZED or status == "canceling":
        order = [op.get("end_timestamp"), job.get("end_timestamp"), op.get("exec_timestamp"),
                 op.get("start_timestamp")]
    elif status == "running":
        order = [op.get("exec_timestamp"), op.get("start_timestamp")]
    elif status == "waiting":
        order = [op.get("start_timestamp")]
    else:
        order = []
    for pair in order + [job.get("received_timestamp"), job.get("start_timestamp")]:
        if pair:
            return from_ganeti_timestamp(pair)
    raise BadJobFile(f"job {job.get('id')} has no timestamp at all")


def log_message(op: dict, status: str) -> str | None:
    """The text for ``logmsg``: the error of a failed op, else the op's last log message."""
    if status == "error":
        error = _error_text(op.get("result"))
        if error:
            return error
    log = op.get("log") or []
    if not log:
        return None
    entry = log[-1]
    text = entry[3] if isinstance(entry, (list, tuple)) and len(entry) > 3 else entry
    return text if isinstance(text, str) else json.dumps(text)


def _error_text(result) -> str | None:
    """``["OpPrereqError", ["Instance 'x' not known", "unknown_entity"]]`` -> readable text."""
    if not (isinstance(result, list) and len(result) == 2 and isinstance(result[0], str)):
        return None
    kind, args = result
    if isinstance(args, list) and args and isinstance(args[0], str):
        return f"{kind}: {args[0]}"
    return f"{kind}: {json.dumps(args)}"
