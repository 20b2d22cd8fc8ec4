"""A listed server shows the status the domain gives it, whatever its other columns hold.

The renderer computes (status, vm_state) once per combination of the columns those
functions read; this checks that no other column of ``ServerState`` changes them.
"""
import datetime as dt
import itertools

from synnefo.core.domain.state import (JobStatus, OperState, Opcode, ServerState, Task,
                                       api_status, vm_state)
from synnefo.web import render

WHEN = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
OTHERS = ({}, {"task_job_id": 7, "backend_job_id": 9, "backend_logmsg": "x", "state_job_id": 8,
               "backend_event_time": WHEN, "state_event_time": WHEN, "fault_message": "boom"})


def test_rendered_status_matches_the_domain_for_every_combination():
    combinations = itertools.product(
        list(OperState), (False, True), [None, *Task], [None, *(o.value for o in Opcode)],
        [None, *JobStatus], OTHERS)
    for operstate, deleted, task, opcode, status, others in combinations:
        state = ServerState(operstate=operstate, deleted=deleted, task=task,
                            backend_opcode=opcode, backend_status=status, **others)
        rendered = render._statuses(operstate.value, deleted, task and task.value, opcode,
                                    status and status.value)
        assert rendered == (api_status(state).value, vm_state(state))
