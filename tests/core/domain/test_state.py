"""The VM state machine: every opcode x status, ordering, duplicates, derived API status."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from synnefo.core.domain import state as sm
from synnefo.core.domain.state import ApiStatus, JobStatus, OperState, Opcode, ServerState

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ALL_OPCODES = [o.value for o in Opcode] + ["OP_INSTANCE_MIGRATE", "OP_SOMETHING_NEW"]

# Expected operstate after one notification on a STARTED server (CREATE: on a BUILD server).
EXPECTED = {
    (Opcode.CREATE.value, JobStatus.SUCCESS): OperState.STARTED,
    (Opcode.CREATE.value, JobStatus.ERROR): OperState.ERROR,
    (Opcode.CREATE.value, JobStatus.CANCELED): OperState.ERROR,
    (Opcode.REMOVE.value, JobStatus.SUCCESS): OperState.DESTROYED,
    (Opcode.STARTUP.value, JobStatus.SUCCESS): OperState.STARTED,
    (Opcode.SHUTDOWN.value, JobStatus.SUCCESS): OperState.STOPPED,
    (Opcode.REBOOT.value, JobStatus.SUCCESS): OperState.STARTED,
}


def event(job, opcode, status, seconds, logmsg=None):
    return sm.OpStatusEvent(job_id=job, opcode=opcode, status=JobStatus(status),
                            event_time=T0 + dt.timedelta(seconds=seconds), logmsg=logmsg)


def initial(opcode):
    if opcode == Opcode.CREATE.value:
        return ServerState(operstate=OperState.BUILD)
    if opcode == Opcode.STARTUP.value:
        return ServerState(operstate=OperState.STOPPED)
    return ServerState(operstate=OperState.STARTED)


@pytest.mark.parametrize("opcode", ALL_OPCODES)
@pytest.mark.parametrize("status", [s.value for s in JobStatus])
def test_every_opcode_and_status(opcode, status):
    before = initial(opcode)
    decision = sm.apply_op_status(before, event(7, opcode, status, 1, "log line"))
    assert decision.applied
    after = decision.state
    expected = EXPECTED.get((opcode, JobStatus(status)), before.operstate)
    assert after.operstate == expected
    assert (after.backend_job_id, after.backend_opcode, after.backend_status) == (7, opcode, JobStatus(status))
    assert after.backend_logmsg == "log line"
    assert after.deleted == (expected == OperState.DESTROYED)


def test_failed_create_keeps_the_message_as_fault():
    after = sm.apply_op_status(ServerState(), event(3, Opcode.CREATE.value, "error", 1,
                                                    "OS Parameters validation failed")).state
    assert after.operstate == OperState.ERROR
    assert after.fault_message == "OS Parameters validation failed"
    assert sm.api_status(after) == ApiStatus.ERROR


def test_finished_set_params_never_yields_unknown():
    after = sm.apply_op_status(ServerState(operstate=OperState.STARTED),
                               event(4, Opcode.SET_PARAMS.value, "success", 1)).state
    assert sm.api_status(after) == ApiStatus.ACTIVE


def test_older_notification_is_ignored():
    state = sm.apply_op_status(ServerState(operstate=OperState.STARTED),
                               event(5, Opcode.SHUTDOWN.value, "success", 10)).state
    stale = sm.apply_op_status(state, event(4, Opcode.REBOOT.value, "running", 5))
    assert not stale.applied and stale.reason == "stale"
    assert stale.state == state


def test_duplicate_notification_is_a_noop():
    first = sm.apply_op_status(ServerState(), event(1, Opcode.CREATE.value, "success", 3)).state
    again = sm.apply_op_status(first, event(1, Opcode.CREATE.value, "success", 3))
    assert not again.applied
    assert again.state == first


def test_statuses_with_equal_times_order_by_rank():
    state = sm.apply_op_status(ServerState(), event(1, Opcode.CREATE.value, "success", 3)).state
    late_running = sm.apply_op_status(state, event(1, Opcode.CREATE.value, "running", 3))
    assert not late_running.applied


def test_late_in_flight_notification_does_not_undo_a_success():
    done = sm.apply_op_status(ServerState(), event(1, Opcode.CREATE.value, "success", 3)).state
    assert sm.apply_op_status(done, event(1, Opcode.CREATE.value, "running", 2)).state == done


def test_reboot_in_flight_shows_reboot_then_active():
    running = ServerState(operstate=OperState.STARTED)
    rebooting = sm.apply_op_status(running, event(9, Opcode.REBOOT.value, "running", 1)).state
    assert sm.api_status(rebooting) == ApiStatus.REBOOT
    done = sm.apply_op_status(rebooting, event(9, Opcode.REBOOT.value, "success", 2)).state
    assert sm.api_status(done) == ApiStatus.ACTIVE


def test_task_is_cleared_by_its_final_notification():
    state = sm.start_task(ServerState(operstate=OperState.STARTED), sm.Task.REBOOTING_HARD, 12)
    assert sm.api_status(state) == ApiStatus.HARD_REBOOT
    state = sm.apply_op_status(state, event(12, Opcode.REBOOT.value, "running", 1)).state
    assert state.task == sm.Task.REBOOTING_HARD
    state = sm.apply_op_status(state, event(12, Opcode.REBOOT.value, "error", 2)).state
    assert state.task is None and sm.api_status(state) == ApiStatus.ACTIVE


def test_task_not_started_when_the_job_already_finished():
    done = sm.apply_op_status(ServerState(operstate=OperState.STARTED),
                              event(12, Opcode.SHUTDOWN.value, "success", 1)).state
    assert sm.start_task(done, sm.Task.POWERING_OFF, 12).task is None


def test_a_task_ends_when_its_final_notification_comes_after_a_later_job_s():
    # Job 6 (say an admin's set-params) is newer, so job 5's final notification is stale for
    # the ordering rule; it must still end the task, or the server answers 409 for ever.
    state = sm.start_task(ServerState(operstate=OperState.STARTED), sm.Task.REBOOTING, 5)
    state = sm.apply_op_status(state, event(6, Opcode.SET_PARAMS.value, "running", 3)).state
    state = sm.apply_op_status(state, event(5, Opcode.REBOOT.value, "error", 2)).state
    assert (state.task, state.task_job_id) == (None, None)
    assert (state.backend_job_id, state.backend_status) == (6, JobStatus.RUNNING)


def test_a_later_job_s_state_setting_notification_supersedes_the_task():
    state = sm.start_task(ServerState(operstate=OperState.STARTED), sm.Task.REBOOTING, 5)
    state = sm.apply_op_status(state, event(6, Opcode.SHUTDOWN.value, "success", 3)).state
    assert state.task is None and state.operstate == OperState.STOPPED


def test_an_earlier_job_s_notifications_leave_the_task_alone():
    state = sm.start_task(ServerState(operstate=OperState.STARTED), sm.Task.REBOOTING, 5)
    state = sm.apply_op_status(state, event(4, Opcode.STARTUP.value, "success", 1)).state
    assert (state.task, state.task_job_id) == (sm.Task.REBOOTING, 5)


def test_a_task_whose_job_was_superseded_before_it_was_recorded_is_not_started():
    later = sm.apply_op_status(ServerState(operstate=OperState.STARTED),
                               event(6, Opcode.SHUTDOWN.value, "success", 3)).state
    later = sm.apply_op_status(later, event(7, Opcode.SET_PARAMS.value, "queued", 4)).state
    assert sm.start_task(later, sm.Task.REBOOTING, 5).task is None


def test_remove_failing_after_create_failed_deletes_in_either_order():
    create_failed = event(1, Opcode.CREATE.value, "error", 1, "no such OS")
    remove_failed = event(2, Opcode.REMOVE.value, "error", 2, "Instance 'snf-1' not known")
    for stream in ([create_failed, remove_failed], [remove_failed, create_failed]):
        state = ServerState()
        for ev in stream:
            state = sm.apply_op_status(state, ev).state
        assert state.deleted and state.operstate == OperState.DESTROYED


def test_remove_failing_on_a_running_server_changes_nothing():
    running = ServerState(operstate=OperState.STARTED)
    after = sm.apply_op_status(running, event(3, Opcode.REMOVE.value, "error", 1)).state
    assert after.operstate == OperState.STARTED and not after.deleted


@pytest.mark.parametrize("operstate,expected", [
    (OperState.BUILD, ApiStatus.BUILD), (OperState.ERROR, ApiStatus.ERROR),
    (OperState.STOPPED, ApiStatus.SHUTOFF), (OperState.STARTED, ApiStatus.ACTIVE),
    (OperState.DESTROYED, ApiStatus.DELETED)])
def test_api_status_from_operstate(operstate, expected):
    assert sm.api_status(ServerState(operstate=operstate)) == expected


def test_deleted_flag_wins():
    assert sm.api_status(ServerState(operstate=OperState.STARTED, deleted=True)) == ApiStatus.DELETED


# -- order independence: shuffled and duplicated streams end where the ordered stream ends --

JOB_KINDS = [Opcode.STARTUP.value, Opcode.SHUTDOWN.value, Opcode.REBOOT.value,
             Opcode.SET_PARAMS.value, Opcode.QUERY_DATA.value, "OP_INSTANCE_MIGRATE"]


@st.composite
def job_streams(draw):
    """A life as Ganeti can produce it: a create, then (if it worked) sequential jobs, maybe a
    final remove (which fails when the instance never existed); each job goes queued ->
    running -> final with non-decreasing event times."""
    created = draw(st.sampled_from(["success", "success", "error", "canceled"]))
    jobs = [(Opcode.CREATE.value, created)]
    if created == "success":
        for _ in range(draw(st.integers(0, 5))):
            jobs.append((draw(st.sampled_from(JOB_KINDS)), draw(st.sampled_from(["success", "error"]))))
    if draw(st.booleans()):
        removal = draw(st.sampled_from(["success", "error"])) if created == "success" else "error"
        jobs.append((Opcode.REMOVE.value, removal))
    events, clock = [], 0
    for job_id, (opcode, final) in enumerate(jobs, start=1):
        for status in ("queued", "running", final):
            clock += draw(st.integers(0, 2))  # equal times happen: rank breaks the tie
            events.append(event(job_id, opcode, status, clock))
    return events


TASK_OF_OPCODE = {Opcode.STARTUP.value: sm.Task.POWERING_ON,
                  Opcode.SHUTDOWN.value: sm.Task.POWERING_OFF,
                  Opcode.REBOOT.value: sm.Task.REBOOTING, Opcode.REMOVE.value: sm.Task.DELETING}


def task_of(events, rnd) -> ServerState:
    """The state before the stream: no task, or the API's task for one of the stream's jobs
    (recorded before its notifications arrive)."""
    jobs = {ev.job_id: ev.opcode for ev in events if ev.opcode in TASK_OF_OPCODE}
    if not jobs or rnd.random() < 0.2:
        return ServerState()
    job_id = rnd.choice(sorted(jobs))
    return sm.start_task(ServerState(), TASK_OF_OPCODE[jobs[job_id]], job_id)


def run(events, state=ServerState()):
    for ev in events:
        state = sm.apply_op_status(state, ev).state
    return state


@settings(max_examples=300, deadline=None)
@given(job_streams(), st.randoms(use_true_random=False), st.integers(0, 5))
def test_shuffled_and_duplicated_streams_end_in_the_ordered_state(events, rnd, dupes):
    start = task_of(events, rnd)
    expected = run(events, start)
    noisy = events + [rnd.choice(events) for _ in range(dupes)]
    rnd.shuffle(noisy)
    assert run(noisy, start) == expected   # every field, the task and its job included
    assert expected.task is None           # every job of the stream finished
