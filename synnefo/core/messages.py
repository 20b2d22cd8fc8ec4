"""Wire formats of the notifications Ganeti's side publishes (compatible with Synnefo).

Exchange ``ganeti``; routing keys ``ganeti.<routing prefix>.event.op|net|progress``. Bodies are
JSON objects with a ``type``:

* ``ganeti-op-status``: ``{"type", "instance", "operation", "jobId", "status", "logmsg",
  "message", "event_time": [seconds, microseconds], "cluster"}`` (``message`` repeats ``logmsg``
  and is present only when ``logmsg`` is non-empty, as Synnefo's eventd sends it, so that its
  consumers can read our messages; ``event_time`` is taken from the job's own timestamps, so
  ordering never depends on the publisher's clock);
* ``ganeti-net-status``: ``{"type", "instance", "nics": [{"index", "mac", "ip", "ipv6", "link",
  "network"}], "event_time", "cluster"}``;
* ``ganeti-create-progress``: ``{"type", "instance", "progress": 0..100, "event_time", "cluster"}``.
"""
from __future__ import annotations

import datetime as dt

from synnefo.core.contracts.bus import Message
from synnefo.core.timeutil import UTC

EXCHANGE = "ganeti"
OP_STATUS = "ganeti-op-status"
NET_STATUS = "ganeti-net-status"
CREATE_PROGRESS = "ganeti-create-progress"
ROUTING_SUFFIX = {OP_STATUS: "op", NET_STATUS: "net", CREATE_PROGRESS: "progress"}


def routing_key(routing_prefix: str, message_type: str) -> str:
    return f"ganeti.{routing_prefix}.event.{ROUTING_SUFFIX[message_type]}"


def routing_prefix_of(instance_name: str) -> str:
    return instance_name.split("-", 1)[0]


def to_event_time(value: dt.datetime) -> list[int]:
    stamp = value.astimezone(UTC)
    seconds = int(stamp.timestamp())
    return [seconds, stamp.microsecond]


def from_event_time(pair) -> dt.datetime:
    seconds, micros = pair
    return dt.datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=int(micros))


def op_status(instance: str, opcode: str, job_id: int, status: str, event_time: dt.datetime,
              logmsg: str | None = None, cluster: str | None = None) -> Message:
    body = {"type": OP_STATUS, "instance": instance, "operation": opcode, "jobId": int(job_id),
            "status": status, "logmsg": logmsg, "event_time": to_event_time(event_time),
            "cluster": cluster}
    if logmsg:
        body["message"] = logmsg
    return Message(routing_key(routing_prefix_of(instance), OP_STATUS), body, EXCHANGE)


def net_status(instance: str, nics: list[dict], event_time: dt.datetime,
               cluster: str | None = None) -> Message:
    body = {"type": NET_STATUS, "instance": instance, "nics": nics,
            "event_time": to_event_time(event_time), "cluster": cluster}
    return Message(routing_key(routing_prefix_of(instance), NET_STATUS), body, EXCHANGE)


def create_progress(instance: str, progress: float, event_time: dt.datetime,
                    cluster: str | None = None) -> Message:
    body = {"type": CREATE_PROGRESS, "instance": instance, "progress": progress,
            "event_time": to_event_time(event_time), "cluster": cluster}
    return Message(routing_key(routing_prefix_of(instance), CREATE_PROGRESS), body, EXCHANGE)
