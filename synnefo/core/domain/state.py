"""The VM state machine (behaviour spec section 3, without its defects).

* Operstates are what Ganeti last confirmed; the API status is derived from them.
* A successful opcode moves the operstate according to ``OPER_STATE_ON_SUCCESS``; opcodes not in
  that table (SET_PARAMS, QUERY_DATA, MIGRATE, ...) are state-neutral.
* A failed or canceled create puts the server in ERROR; other failures change no state.
* Ordering: each applied notification stores its (event time, job id, status rank); a
  notification whose key is not newer than the stored one is stale or a duplicate and is ignored.
  Operstate-setting notifications are ordered among themselves (see ServerState), so the final
  state does not depend on the order in which notifications arrive.
* A task ends when its job's final notification arrives, even a stale one, or when a later
  job's state-setting notification arrives; neither depends on the ordering keys, so the task
  too ends the same in any order.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace


class OperState(str, enum.Enum):
    BUILD = "BUILD"
    ERROR = "ERROR"
    STOPPED = "STOPPED"
    STARTED = "STARTED"
    DESTROYED = "DESTROYED"


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    WAITING = "waiting"
    CANCELING = "canceling"
    RUNNING = "running"
    CANCELED = "canceled"
    SUCCESS = "success"
    ERROR = "error"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def rank(self) -> int:
        return STATUS_RANK[self]


FINAL_STATUSES = frozenset({JobStatus.SUCCESS, JobStatus.ERROR, JobStatus.CANCELED})
IN_FLIGHT_STATUSES = frozenset(
    {JobStatus.QUEUED, JobStatus.WAITING, JobStatus.RUNNING, JobStatus.CANCELING})
# Within one job, a later status never has a lower rank, so equal timestamps still order.
STATUS_RANK = {
    JobStatus.QUEUED: 0, JobStatus.WAITING: 1, JobStatus.RUNNING: 2, JobStatus.CANCELING: 3,
    JobStatus.CANCELED: 4, JobStatus.ERROR: 4, JobStatus.SUCCESS: 4,
}


class Opcode(str, enum.Enum):
    CREATE = "OP_INSTANCE_CREATE"
    REMOVE = "OP_INSTANCE_REMOVE"
    STARTUP = "OP_INSTANCE_STARTUP"
    SHUTDOWN = "OP_INSTANCE_SHUTDOWN"
    REBOOT = "OP_INSTANCE_REBOOT"
    SET_PARAMS = "OP_INSTANCE_SET_PARAMS"
    QUERY_DATA = "OP_INSTANCE_QUERY_DATA"


OPER_STATE_ON_SUCCESS: dict[str, OperState] = {
    Opcode.CREATE.value: OperState.STARTED,
    Opcode.REMOVE.value: OperState.DESTROYED,
    Opcode.STARTUP.value: OperState.STARTED,
    Opcode.SHUTDOWN.value: OperState.STOPPED,
    Opcode.REBOOT.value: OperState.STARTED,
}


class Task(str, enum.Enum):
    """What the API asked for and Ganeti has not confirmed yet (Nova's task_state)."""
    DELETING = "deleting"
    REBOOTING = "rebooting"
    REBOOTING_HARD = "rebooting_hard"
    POWERING_ON = "powering-on"
    POWERING_OFF = "powering-off"


class ApiStatus(str, enum.Enum):
    BUILD = "BUILD"
    ACTIVE = "ACTIVE"
    SHUTOFF = "SHUTOFF"
    REBOOT = "REBOOT"
    HARD_REBOOT = "HARD_REBOOT"
    ERROR = "ERROR"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"


API_STATUS_FROM_OPER_STATE = {
    OperState.BUILD: ApiStatus.BUILD,
    OperState.ERROR: ApiStatus.ERROR,
    OperState.STOPPED: ApiStatus.SHUTOFF,
    OperState.STARTED: ApiStatus.ACTIVE,
    OperState.DESTROYED: ApiStatus.DELETED,
}


@dataclass(frozen=True)
class ServerState:
    """The state-machine-relevant part of a server row.

    Two ordering keys are kept: ``backend_*`` describe the newest notification seen (any
    opcode, any status); ``state_*`` identify the newest *state-determining* notification (one
    whose outcome sets the operstate). Keeping them apart makes the result independent of the
    order in which notifications arrive: shuffled or duplicated streams end in the same state
    as the stream applied in order.
    """
    operstate: OperState = OperState.BUILD
    deleted: bool = False
    task: Task | None = None
    task_job_id: int | None = None
    backend_job_id: int | None = None
    backend_opcode: str | None = None
    backend_status: JobStatus | None = None
    backend_logmsg: str | None = None
    backend_event_time: dt.datetime | None = None
    state_event_time: dt.datetime | None = None
    state_job_id: int | None = None
    fault_message: str | None = None

    def backend_key(self):
        """Order of the newest notification recorded: (event time, job id, status rank)."""
        if self.backend_event_time is None:
            return None
        # Time first (Ganeti's clock orders jobs); the job id breaks ties between jobs, since
        # Ganeti numbers jobs in submission order; the rank orders statuses of one job.
        rank = self.backend_status.rank if self.backend_status else -1
        return (self.backend_event_time, self.backend_job_id or 0, rank)

    def state_key(self):
        """Order of the notification that set the operstate (always a final status)."""
        if self.state_event_time is None:
            return None
        # Only final notifications set the state, so the rank is always the final one.
        return (self.state_event_time, self.state_job_id or 0, FINAL_RANK)


FINAL_RANK = STATUS_RANK[JobStatus.SUCCESS]


@dataclass(frozen=True)
class OpStatusEvent:
    """One ganeti-op-status notification."""
    job_id: int
    opcode: str
    status: JobStatus
    event_time: dt.datetime
    logmsg: str | None = None

    def order_key(self):
        """Comparable with ``backend_key``/``state_key``: newer means greater."""
        return (self.event_time, self.job_id, self.status.rank)


@dataclass(frozen=True)
class Decision:
    """The outcome of applying a notification: the new state, or why it was ignored."""
    state: ServerState
    applied: bool
    reason: str = ""


def _newer(key, than) -> bool:
    return than is None or key > than


def determines_state(event: OpStatusEvent) -> bool:
    """Whether the event's outcome sets the operstate (successes of state-changing opcodes and
    failures of creates); every other notification is only recorded."""
    if event.status == JobStatus.SUCCESS:
        return event.opcode in OPER_STATE_ON_SUCCESS
    return event.status in (JobStatus.ERROR, JobStatus.CANCELED) and event.opcode == Opcode.CREATE.value


def apply_op_status(state: ServerState, event: OpStatusEvent) -> Decision:
    """Apply one op-status notification to a server's state (pure)."""
    key = event.order_key()
    records = _newer(key, state.backend_key())
    decides = determines_state(event) and _newer(key, state.state_key())
    fault = _create_fault(event)
    # Ending a task does not depend on the ordering keys: a stale notification ends it too.
    ends_task = ends_task_of(state, event)
    if not (records or decides or ends_task) and fault in (None, state.fault_message):
        return Decision(state, applied=False, reason="stale")
    new = replace(state, fault_message=fault) if fault else state
    if records:
        new = replace(new, backend_job_id=event.job_id, backend_opcode=event.opcode,
                      backend_status=event.status, backend_logmsg=event.logmsg,
                      backend_event_time=event.event_time)
    if decides:
        new = replace(_outcome(new, event), state_event_time=event.event_time,
                      state_job_id=event.job_id)
    new = _settle_failed_removal(new)
    if ends_task:
        new = replace(new, task=None, task_job_id=None)
    changed = (new.operstate, new.deleted) != (state.operstate, state.deleted)
    return Decision(new, applied=True, reason=_reason(changed, records or decides))


def _reason(changed: bool, ordered: bool) -> str:
    if changed:
        return "operstate"
    return "recorded" if ordered else "task ended"


def ends_task_of(state: ServerState, event: OpStatusEvent) -> bool:
    """Whether ``event`` ends the task's job: its final notification, whenever it arrives, or
    a later job's state-setting notification (Ganeti ran that job after the task's)."""
    if state.task_job_id is None:
        return False
    if event.job_id == state.task_job_id:
        return event.status.is_final
    return event.job_id > state.task_job_id and determines_state(event)


def _outcome(state: ServerState, event: OpStatusEvent) -> ServerState:
    if event.status == JobStatus.SUCCESS:
        state = replace(state, operstate=OPER_STATE_ON_SUCCESS[event.opcode])
        if event.opcode == Opcode.REMOVE.value:
            return replace(state, deleted=True, task=None, task_job_id=None)
        return state
    return replace(state, operstate=OperState.ERROR)


def _create_fault(event: OpStatusEvent) -> str | None:
    """A failed create's message is the server's fault, whenever it arrives (a server has
    one create job, so this does not depend on ordering)."""
    if event.opcode != Opcode.CREATE.value or event.status not in (JobStatus.ERROR, JobStatus.CANCELED):
        return None
    return event.logmsg or f"Create job {event.job_id} {event.status.value}"


def _settle_failed_removal(state: ServerState) -> ServerState:
    """A removal that failed after the create failed: the instance never existed in Ganeti,
    so the server is gone (whichever of the two notifications arrived first)."""
    removal_failed = (state.backend_opcode == Opcode.REMOVE.value
                      and state.backend_status == JobStatus.ERROR)
    if (state.operstate == OperState.ERROR and removal_failed
            and _newer(state.backend_key(), state.state_key())):
        return replace(state, operstate=OperState.DESTROYED, deleted=True, task=None,
                       task_job_id=None, state_event_time=state.backend_event_time,
                       state_job_id=state.backend_job_id)
    return state


# Nova's OS-EXT-STS:vm_state for each operstate (API and error messages say it the same way).
VM_STATE = {
    OperState.BUILD: "building", OperState.STARTED: "active", OperState.STOPPED: "stopped",
    OperState.ERROR: "error", OperState.DESTROYED: "deleted",
}


def vm_state(state: ServerState) -> str:
    """Nova's ``vm_state`` of a server."""
    return "deleted" if state.deleted else VM_STATE[state.operstate]


def api_status(state: ServerState) -> ApiStatus:
    """The OpenStack status a client sees."""
    if state.deleted or state.operstate == OperState.DESTROYED:
        return ApiStatus.DELETED
    status = API_STATUS_FROM_OPER_STATE.get(state.operstate, ApiStatus.UNKNOWN)
    if status == ApiStatus.ACTIVE:
        if state.task == Task.REBOOTING_HARD:
            return ApiStatus.HARD_REBOOT
        if state.task == Task.REBOOTING:
            return ApiStatus.REBOOT
        if state.backend_opcode == Opcode.REBOOT.value and state.backend_status in IN_FLIGHT_STATUSES:
            return ApiStatus.REBOOT
    return status


def parse_status(value: str) -> JobStatus:
    """Parse a Ganeti job status string; ValueError if unknown."""
    return JobStatus(value)


def begin_task(state: ServerState, task: Task) -> ServerState:
    """The API's intent, committed before its job is submitted (the job id is not known yet)."""
    return replace(state, task=task, task_job_id=None)


def start_task(state: ServerState, task: Task | None, job_id: int) -> ServerState:
    """Record the job submitted for ``task`` (None for a create). If the job is already over
    (a fast backend can beat the API's own commit), no task is left: the newest notification
    is a final one of this job or a later one, or a state was set by this job or a later one."""
    finished = (state.backend_job_id is not None and state.backend_job_id >= job_id
                and state.backend_status is not None and state.backend_status.is_final)
    superseded = state.state_job_id is not None and state.state_job_id >= job_id
    if finished or superseded:
        return replace(state, task=None, task_job_id=None)
    return replace(state, task=task, task_job_id=job_id)
