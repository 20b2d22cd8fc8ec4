"""Pure comparison of the database with one Ganeti cluster (used by reconciliation).

Everything here is a function of snapshots: what the database says about a server, what the
cluster's bulk listing says about its instance, and what ``get_job`` said about the server's
pending jobs. The answer is a list of ``Drift`` items, each carrying the fix that would bring the
database in line, expressed as the notification that never arrived (``OpFix``), a NIC list
(``NicsFix``), a flavor (``FlavorFix``) or an instance to delete (``OrphanFix``).
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace

from synnefo.core.domain import state as sm
from synnefo.core.domain.ganeti import InstanceInfo, JobInfo, NicInfo, nics_text
from synnefo.core.domain.times import as_utc

# Job id of a synthetic notification that stands for no Ganeti job (a state observed in a listing).
SYNTHETIC_JOB_ID = 0

OPCODE_OF_TASK = {
    sm.Task.DELETING: sm.Opcode.REMOVE.value,
    sm.Task.REBOOTING: sm.Opcode.REBOOT.value,
    sm.Task.REBOOTING_HARD: sm.Opcode.REBOOT.value,
    sm.Task.POWERING_ON: sm.Opcode.STARTUP.value,
    sm.Task.POWERING_OFF: sm.Opcode.SHUTDOWN.value,
}


class DriftKind(str, enum.Enum):
    STALE = "stale"          # in the database, not in Ganeti
    ORPHAN = "orphan"        # one of our instances in Ganeti, no live server in the database
    UNSYNCED = "unsynced"    # run state differs
    STUCK = "stuck"          # a job still pending in the database, finished or gone in Ganeti
    NICS = "nics"            # NICs differ
    FLAVOR = "flavor"        # vCPUs or memory differ from the server's flavor


@dataclass(frozen=True)
class FlavorView:
    id: int
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int


@dataclass(frozen=True)
class ServerSnapshot:
    """What the database said about one server when reconciliation read it."""
    id: int
    backend_id: int
    state: sm.ServerState
    flavor: FlavorView
    nics: tuple[NicInfo, ...] = ()
    created: dt.datetime | None = None


@dataclass(frozen=True)
class OpFix:
    """Apply this op-status notification (its event time is chosen when it is applied)."""
    job_id: int
    opcode: str
    status: sm.JobStatus
    logmsg: str | None = None
    event_time: dt.datetime | None = None   # the job's end time from Ganeti, if known


@dataclass(frozen=True)
class NicsFix:
    nics: tuple[NicInfo, ...]


@dataclass(frozen=True)
class FlavorFix:
    flavor_id: int | None    # None: no flavor matches, cannot be fixed


@dataclass(frozen=True)
class OrphanFix:
    instance: str


@dataclass(frozen=True)
class Drift:
    kind: DriftKind
    backend: str
    instance: str
    server_id: int | None
    detail: str
    fix: OpFix | NicsFix | FlavorFix | OrphanFix | None = None
    db_value: str | None = None
    ganeti_value: str | None = None


@dataclass
class BackendView:
    """One cluster's answers: the listing, and get_job for the selected servers' pending jobs."""
    name: str
    instances: dict[str, InstanceInfo]
    jobs: dict[int, JobInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerVerdict:
    server_id: int
    in_flight: bool
    drifts: tuple[Drift, ...] = ()


def pending_job_ids(state: sm.ServerState) -> tuple[int, ...]:
    """The jobs the database still considers unfinished for this server."""
    ids = []
    if state.task_job_id:   # the task's job, or (with no task) the create job
        ids.append(state.task_job_id)
    if state.backend_status in sm.IN_FLIGHT_STATUSES and state.backend_job_id:
        ids.append(state.backend_job_id)
    return tuple(sorted(set(ids)))


def job_in_flight(job: JobInfo | None) -> bool:
    """True if Ganeti still runs (or queues) the job; an unknown status counts as running."""
    if job is None or job.status is None:
        return False
    try:
        return sm.parse_status(job.status) in sm.IN_FLIGHT_STATUSES
    except ValueError:
        return True


def compare_server(snap: ServerSnapshot, instance_name: str, view: BackendView,
                   flavors: list[FlavorView], now: dt.datetime,
                   grace_cutoff: dt.datetime | None = None) -> ServerVerdict:
    """Every drift of one server against its cluster's answers, as seen at ``now``."""
    jobs = [view.jobs.get(job_id) for job_id in pending_job_ids(snap.state)]
    if any(job_in_flight(job) for job in jobs):
        return ServerVerdict(snap.id, in_flight=True)
    instance = view.instances.get(instance_name)
    drifts, state = _stuck(snap, instance_name, view, instance, now)
    if not state.deleted:
        drifts += _state_drift(snap, state, instance_name, view.name, instance, grace_cutoff)
    if instance is not None and not state.deleted and state.operstate != sm.OperState.BUILD:
        drifts += _nics_drift(snap, instance_name, view.name, instance)
        drifts += _flavor_drift(snap, instance_name, view.name, instance, flavors)
    return ServerVerdict(snap.id, in_flight=False, drifts=tuple(drifts))


def _stuck(snap, instance_name, view, instance, now):
    """Stuck jobs, and the state the server will have once their notifications are applied."""
    drifts, state = [], snap.state
    for job_id in pending_job_ids(snap.state):
        fix = _stuck_fix(snap.state, job_id, view.jobs.get(job_id), instance)
        state = sm.apply_op_status(state, fix_event(fix, state, now)).state
        found = view.jobs.get(job_id)
        where = f"{found.status} in Ganeti" if found and found.status else "gone from Ganeti"
        drifts.append(Drift(DriftKind.STUCK, view.name, instance_name, snap.id,
                            f"job {job_id} ({fix.opcode}) pending in the database, {where}",
                            fix, db_value=_pending_status(snap.state, job_id), ganeti_value=where))
    return drifts, state


def _pending_status(state: sm.ServerState, job_id: int) -> str:
    if job_id == state.backend_job_id and state.backend_status:
        return state.backend_status.value
    return f"task {state.task.value}" if state.task else "pending"


def _stuck_fix(state: sm.ServerState, job_id: int, job: JobInfo | None,
               instance: InstanceInfo | None) -> OpFix:
    opcode = _job_opcode(state, job_id, job)
    if job is not None and job.status is not None:
        return OpFix(job_id, opcode, sm.parse_status(job.status),
                     job.log_message or f"reconciliation: job {job_id} finished, no notification",
                     job.end_time)
    worked = _looks_done(opcode, instance)
    status = sm.JobStatus.SUCCESS if worked else sm.JobStatus.ERROR
    return OpFix(job_id, opcode, status,
                 f"reconciliation: job {job_id} vanished from Ganeti; outcome inferred from the "
                 f"instance ({'as expected' if worked else 'not done'})")


def _job_opcode(state: sm.ServerState, job_id: int, job: JobInfo | None) -> str:
    if job_id == state.backend_job_id and state.backend_opcode:
        return state.backend_opcode
    if job_id == state.task_job_id and state.task in OPCODE_OF_TASK:
        return OPCODE_OF_TASK[state.task]
    if job_id == state.task_job_id and state.task is None:
        return sm.Opcode.CREATE.value   # the API records a create's job without a task
    if job is not None and job.opcodes:
        return job.opcodes[0]
    return sm.Opcode.QUERY_DATA.value


def _looks_done(opcode: str, instance: InstanceInfo | None) -> bool:
    """Whether the instance as listed is what a successful ``opcode`` would have left."""
    if opcode == sm.Opcode.REMOVE.value:
        return instance is None
    if instance is None:
        return False
    if opcode in (sm.Opcode.STARTUP.value, sm.Opcode.REBOOT.value):
        return instance.running
    if opcode == sm.Opcode.SHUTDOWN.value:
        return not instance.running
    return True


def fix_event(fix: OpFix, state: sm.ServerState, now: dt.datetime) -> sm.OpStatusEvent:
    """The notification a fix stands for, as it will be applied to ``state``.

    A finished job keeps the end time Ganeti gave it, so the ordering rule treats it exactly as
    the notification that never came (a newer state-setting notification still wins). Without
    a Ganeti time (a state seen in a listing, a vanished job) the event is placed now, or one
    microsecond after the newest notification applied if that is later (Ganeti's clock ahead of
    ours), so the fix is never dropped as stale.
    """
    when = as_utc(fix.event_time) or after_all(
        (state.backend_event_time, state.state_event_time), now)
    return sm.OpStatusEvent(fix.job_id, fix.opcode, fix.status, when, fix.logmsg)


def after_all(stored, now: dt.datetime) -> dt.datetime:
    """``now``, unless one of the ``stored`` times is not earlier: then just after the latest."""
    now = as_utc(now)
    latest = max((as_utc(t) for t in stored if t is not None), default=None)
    if latest is not None and now <= latest:
        return latest + dt.timedelta(microseconds=1)
    return now


def _state_drift(snap, state, instance_name, backend, instance, grace_cutoff) -> list[Drift]:
    if instance is None:
        return _stale(snap, state, instance_name, backend, grace_cutoff)
    return _unsynced(snap, state, instance_name, backend, instance)


def _stale(snap, state, instance_name, backend, grace_cutoff) -> list[Drift]:
    if state.operstate == sm.OperState.ERROR:
        return []   # a failed create: Ganeti has nothing, and the database says so
    if _create_unrecorded(snap, state, grace_cutoff):
        return []   # just created: its create job may not have been recorded yet
    if state.operstate == sm.OperState.BUILD:
        fix = OpFix(SYNTHETIC_JOB_ID, sm.Opcode.CREATE.value, sm.JobStatus.ERROR,
                    "reconciliation: the instance never appeared in Ganeti")
    else:
        fix = OpFix(SYNTHETIC_JOB_ID, sm.Opcode.REMOVE.value, sm.JobStatus.SUCCESS,
                    "reconciliation: the instance is gone from Ganeti")
    return [Drift(DriftKind.STALE, backend, instance_name, snap.id,
                  f"{state.operstate.value} in the database, missing in Ganeti", fix,
                  db_value=state.operstate.value, ganeti_value="missing")]


def _create_unrecorded(snap, state: sm.ServerState, grace_cutoff) -> bool:
    """A BUILD server created after ``grace_cutoff`` whose create job id is not known yet (the
    API records it after Ganeti accepted the job). A recorded job is asked about instead."""
    return (state.operstate == sm.OperState.BUILD and state.task_job_id is None
            and state.backend_job_id is None and grace_cutoff is not None
            and snap.created is not None and snap.created > grace_cutoff)


def ganeti_run_state(instance: InstanceInfo) -> str:
    """``running``, ``admin-down`` (stopped on purpose) or ``error-down`` (should run, does not)."""
    if instance.running:
        return "running"
    return "error-down" if instance.admin_up else "admin-down"


def _unsynced(snap, state, instance_name, backend, instance) -> list[Drift]:
    run_state = ganeti_run_state(instance)
    fix = _unsynced_fix(state.operstate, run_state)
    if fix is None:
        return []
    return [Drift(DriftKind.UNSYNCED, backend, instance_name, snap.id,
                  f"{state.operstate.value} in the database, {run_state} in Ganeti", fix,
                  db_value=state.operstate.value, ganeti_value=run_state)]


def _unsynced_fix(operstate: sm.OperState, run_state: str) -> OpFix | None:
    if run_state == "running" and operstate != sm.OperState.STARTED:
        opcode = sm.Opcode.CREATE if operstate == sm.OperState.BUILD else sm.Opcode.STARTUP
        return OpFix(SYNTHETIC_JOB_ID, opcode.value, sm.JobStatus.SUCCESS,
                     "reconciliation: the instance is running in Ganeti")
    if run_state != "running" and operstate == sm.OperState.STARTED:
        return OpFix(SYNTHETIC_JOB_ID, sm.Opcode.SHUTDOWN.value, sm.JobStatus.SUCCESS,
                     f"reconciliation: the instance is {run_state} in Ganeti")
    return None   # BUILD or ERROR and down: nothing Ganeti says proves another state


def _nics_drift(snap, instance_name, backend, instance) -> list[Drift]:
    ganeti = _with_db_ipv6(instance.nics, snap.nics)
    if ganeti == tuple(sorted(snap.nics, key=lambda n: n.index)):
        return []
    return [Drift(DriftKind.NICS, backend, instance_name, snap.id,
                  f"{len(snap.nics)} NIC(s) in the database differ from {len(ganeti)} in Ganeti",
                  NicsFix(ganeti), db_value=nics_text(snap.nics), ganeti_value=nics_text(ganeti))]


def _with_db_ipv6(ganeti_nics, db_nics) -> tuple[NicInfo, ...]:
    """Ganeti's NICs; Ganeti keeps no IPv6 address (the hook derives it from the MAC), so the
    database's is kept for the same NIC rather than reported as drift."""
    ipv6 = {(n.index, n.mac): n.ipv6 for n in db_nics}
    views = (NicInfo.of(n) for n in ganeti_nics)
    return tuple(sorted((replace(v, ipv6=v.ipv6 or ipv6.get((v.index, v.mac))) for v in views),
                        key=lambda n: n.index))


def _flavor_drift(snap, instance_name, backend, instance, flavors) -> list[Drift]:
    vcpus = instance.vcpus if instance.vcpus is not None else snap.flavor.vcpus
    ram = instance.memory_mib if instance.memory_mib is not None else snap.flavor.ram_mib
    if (vcpus, ram) == (snap.flavor.vcpus, snap.flavor.ram_mib):
        return []
    match = next((f for f in flavors if (f.vcpus, f.ram_mib, f.disk_gib)
                  == (vcpus, ram, snap.flavor.disk_gib)), None)
    detail = (f"flavor {snap.flavor.name} is {snap.flavor.vcpus} vCPU/{snap.flavor.ram_mib} MiB, "
              f"Ganeti has {vcpus} vCPU/{ram} MiB"
              + (f" (matches flavor {match.name})" if match else " (no flavor matches)"))
    return [Drift(DriftKind.FLAVOR, backend, instance_name, snap.id, detail,
                  FlavorFix(match.id if match else None),
                  db_value=f"{snap.flavor.vcpus}/{snap.flavor.ram_mib}",
                  ganeti_value=f"{vcpus}/{ram}")]


def find_orphans(view: BackendView, naming, live_ids: set[int]) -> list[Drift]:
    """Instances named with our prefix that no live server of this backend accounts for."""
    drifts = []
    for name, instance in sorted(view.instances.items()):
        server_id = naming.server_id(name)
        if server_id is not None and server_id not in live_ids:
            drifts.append(Drift(DriftKind.ORPHAN, view.name, name, server_id,
                                "in Ganeti, no live server in the database", OrphanFix(name),
                                db_value="missing", ganeti_value=ganeti_run_state(instance)))
    return drifts
