"""Turn RAPI answers of Ganeti 2.x and 3.x into the driver contract's dataclasses.

Differences between versions handled here:

* ``admin_state`` is a boolean up to Ganeti 2.6 and ``"up"``/``"down"``/``"offline"`` after;
* ``oper_state`` may be missing (old versions, or a node that did not answer): the run state is
  then derived from ``status`` (``running``, ``ERROR_up``, ``ERROR_wrongnode`` mean running);
* memory is ``beparams.memory`` before 2.6 and ``maxmem`` after;
* NIC links are ``nic.links`` (2.6+) or ``nic.bridges``; network names exist only in 2.7+;
* the job status ``waitlock`` (before 2.6) is today's ``waiting``.
"""
from __future__ import annotations

import json

from synnefo.core.contracts import ClusterInfo, InstanceInfo, JobInfo, NicInfo
from synnefo.core.timeutil import from_ganeti_timestamp

RUNNING_STATUSES = frozenset({"running", "ERROR_up", "ERROR_wrongnode"})
ADMIN_UP_STATUSES = frozenset({"running", "ERROR_down", "ERROR_nodedown", "ERROR_nodeoffline",
                               "ERROR_wrongnode"})
JOB_STATUS_ALIASES = {"waitlock": "waiting"}


def instance_info(data: dict) -> InstanceInfo:
    """One entry of ``GET /2/instances?bulk=1`` (or ``GET /2/instances/<name>``)."""
    status = data.get("status")
    return InstanceInfo(name=data["name"], running=is_running(data), admin_up=is_admin_up(data),
                        vcpus=_vcpus(data), memory_mib=_memory(data), nics=_nics(data),
                        status=status, primary_node=data.get("pnode"))


def is_running(data: dict) -> bool:
    oper_state = data.get("oper_state")
    if isinstance(oper_state, bool):
        return oper_state
    return data.get("status") in RUNNING_STATUSES


def is_admin_up(data: dict) -> bool:
    admin_state = data.get("admin_state")
    if isinstance(admin_state, bool):
        return admin_state
    if isinstance(admin_state, str):
        return admin_state == "up"
    return data.get("status") in ADMIN_UP_STATUSES


def _vcpus(data: dict) -> int | None:
    beparams = data.get("beparams") or {}
    return beparams.get("vcpus") or data.get("oper_vcpus")


def _memory(data: dict) -> int | None:
    beparams = data.get("beparams") or {}
    return beparams.get("maxmem") or beparams.get("memory") or data.get("oper_ram")


def _nics(data: dict) -> tuple[NicInfo, ...]:
    macs = data.get("nic.macs") or []
    column = lambda key: _padded(data.get(key), len(macs))  # noqa: E731
    links = [a or b for a, b in zip(column("nic.links"), column("nic.bridges"))]
    return tuple(NicInfo(index=i, mac=mac, ipv4=ip, link=link, network=net)
                 for i, (mac, ip, link, net) in enumerate(
                     zip(macs, column("nic.ips"), links, column("nic.networks.names"))))


def _padded(values, length: int) -> list:
    values = list(values or [])
    return values + [None] * (length - len(values))


def job_info(data: dict) -> JobInfo:
    """``GET /2/jobs/<id>``; an unknown id comes back as 200 with every field null."""
    status = data.get("status")
    return JobInfo(id=int(data["id"]), status=JOB_STATUS_ALIASES.get(status, status),
                   opcodes=tuple(op.get("OP_ID", "") for op in data.get("ops") or ()),
                   op_statuses=tuple(JOB_STATUS_ALIASES.get(s, s)
                                     for s in data.get("opstatus") or ()),
                   log_message=job_message(data),
                   end_time=from_ganeti_timestamp(data.get("end_ts")))


def job_message(data: dict) -> str | None:
    """The error of a failed job, else the last oplog line."""
    for result, status in zip(data.get("opresult") or (), data.get("opstatus") or ()):
        if status == "error":
            return error_text(result)
    lines = [entry for oplog in data.get("oplog") or () for entry in oplog or ()]
    return str(lines[-1][3]).strip() if lines else None


def error_text(result) -> str:
    """``["OpPrereqError", ["Instance 'x' not known", "unknown_entity"]]`` ->
    ``OpPrereqError: Instance 'x' not known`` (the same text snf-ganeti-eventd publishes)."""
    if isinstance(result, (list, tuple)) and len(result) == 2:
        kind, args = result
        if isinstance(args, (list, tuple)) and args and isinstance(args[0], str):
            return f"{kind}: {args[0]}"
        return f"{kind}: {json.dumps(args)}"
    return str(result)


def cluster_info(info: dict, nodes: list[dict]) -> ClusterInfo:
    """``GET /2/info`` plus ``GET /2/nodes?bulk=1`` (offline nodes add no capacity)."""
    online = [n for n in nodes if not n.get("offline")]
    return ClusterInfo(name=info.get("name", ""), software_version=info.get("software_version"),
                       master=info.get("master"), nodes=len(nodes),
                       memory_total_mib=_sum(online, "mtotal"),
                       memory_free_mib=_sum(online, "mfree"),
                       vcpus_total=_sum(online, "ctotal"), instances=_sum(nodes, "pinst_cnt"))


def _sum(nodes: list[dict], key: str) -> int | None:
    values = [n[key] for n in nodes if isinstance(n.get(key), int)]
    return sum(values) if values else None
