"""What to do with one message: the pure part of the dispatcher (no kombu here).

``dispatch(core, body, headers)`` parses and validates the body, runs its handler in a unit of
work (committed before it returns) and says what the broker side must do:

* ``ACK``: applied, or nothing to do (stale, duplicate, not our instance, server purged);
* ``REQUEUE``: a transient failure (database down); the adapter republishes the message with a
  higher retry count; after ``max_retries`` it becomes a dead letter instead;
* ``DEAD_LETTER``: it can never be applied (malformed JSON, unknown type, schema failure,
  ``InvalidMessage`` from the handler); the reason travels with it.
"""
from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass

import colander

from synnefo.core.contracts.handler import HandlerResult, MessageHandler
from synnefo.core.errors import InvalidMessage
from synnefo.core.services import notifications
from synnefo.messaging import headers as hdr

log = logging.getLogger(__name__)
DEFAULT_MAX_RETRIES = 5
MAX_REASON = 1000


class Action(str, enum.Enum):
    ACK = "ack"
    REQUEUE = "requeue"
    DEAD_LETTER = "dead-letter"


@dataclass(frozen=True)
class Outcome:
    action: Action
    reason: str = ""


ACK = Outcome(Action.ACK)


def requeue(reason: str) -> Outcome:
    return Outcome(Action.REQUEUE, reason[:MAX_REASON])


def dead_letter(reason: str) -> Outcome:
    return Outcome(Action.DEAD_LETTER, reason[:MAX_REASON])


@dataclass(frozen=True)
class Prepared:
    """A message that parsed and passed its handler's schema."""
    message_type: str
    handler: MessageHandler
    payload: dict

    @property
    def instance(self) -> str:
        return str(self.payload.get("instance", ""))


def prepare(core, body: bytes) -> Prepared | Outcome:
    """Parse and validate, touching no database; a dead-letter Outcome if that fails."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        return dead_letter(f"malformed JSON: {exc}")
    if not isinstance(data, dict):
        return dead_letter(f"malformed message: a JSON object was expected, got {type(data).__name__}")
    message_type = data.get("type")
    handler = core.handlers.get(message_type) if isinstance(message_type, str) else None
    if handler is None:
        return dead_letter(f"unknown message type {message_type!r} "
                           f"(enabled: {', '.join(sorted(core.handlers)) or 'none'})")
    try:
        payload = handler.schema.deserialize(data)
    except colander.Invalid as exc:
        problems = "; ".join(f"{k or 'message'}: {v}" for k, v in sorted(exc.asdict().items()))
        return dead_letter(f"invalid {message_type}: {problems}")
    return Prepared(message_type, handler, payload)


def dispatch(core, body: bytes, headers: dict | None,
             max_retries: int = DEFAULT_MAX_RETRIES) -> Outcome:
    """Handle one message and commit; returns what to do with it on the broker."""
    prepared = prepare(core, body)
    if isinstance(prepared, Outcome):
        return prepared
    return apply_one(core, prepared, hdr.retries(headers), max_retries)


def apply_one(core, prepared: Prepared, retries: int, max_retries: int) -> Outcome:
    try:
        with core.uow() as uow:
            result = prepared.handler.handle(uow, prepared.payload)
    except InvalidMessage as exc:
        return dead_letter(f"invalid {prepared.message_type}: {exc}")
    except Exception as exc:  # noqa: BLE001 - the edge: any other failure may pass (DB outage)
        return _transient(prepared, exc, retries, max_retries)
    log_result(prepared, result)
    return ACK


def _transient(prepared: Prepared, exc: Exception, retries: int, max_retries: int) -> Outcome:
    reason = describe(exc)
    if retries >= max_retries:
        log.error("%s for %s failed %d times, giving up: %s", prepared.message_type,
                  prepared.instance, retries + 1, reason)
        return dead_letter(f"gave up after {retries} retries: {reason}")
    log.error("%s for %s failed (attempt %d of %d), will retry: %s", prepared.message_type,
              prepared.instance, retries + 1, max_retries + 1, reason)
    return requeue(reason)


def dispatch_batch(core, items: list[tuple[bytes, dict | None]],
                   max_retries: int = DEFAULT_MAX_RETRIES) -> list[Outcome]:
    """Handle several messages in one transaction (one commit), falling back to one by one.

    Messages are applied in instance-name order (stable, so one server's messages keep their
    order): every dispatcher then locks server rows in the same order and batches cannot
    deadlock each other. The first transaction passes over the servers another dispatcher
    holds (``SKIP LOCKED``) rather than waiting for its whole batch; their messages (all of
    a server's together, in order) follow in a second transaction that waits for the locks.
    """
    outcomes: list = [prepare(core, body) for body, _ in items]
    pending = sorted((i for i, o in enumerate(outcomes) if isinstance(o, Prepared)),
                     key=lambda i: outcomes[i].instance)
    for skip_locked in (True, False):
        if len(pending) < 2:
            break
        applied = _apply_together(core, [outcomes[i] for i in pending], skip_locked)
        if applied is None:
            break
        for position in applied:
            outcomes[pending[position]] = ACK
        pending = [i for n, i in enumerate(pending) if n not in applied]
    for i in pending:
        outcomes[i] = apply_one(core, outcomes[i], hdr.retries(items[i][1]), max_retries)
    return outcomes


def _apply_together(core, batch: list[Prepared], skip_locked: bool) -> set[int] | None:
    """Apply in one transaction the messages of ``batch`` whose servers could be locked;
    returns their positions in ``batch`` (all of them unless ``skip_locked``), or None if the
    transaction failed (nothing applied)."""
    try:
        with core.uow() as uow:
            # Without autoflush each handler's row-lock SELECT would first flush the previous
            # message's UPDATE (two round trips per message); flushed together at commit, the
            # UPDATEs go out as one batch. Handlers that read back their own changes flush.
            with uow.session.no_autoflush:
                chosen = _lock_named_servers(core, uow.session, batch, skip_locked)
                results = [batch[n].handler.handle(uow, batch[n].payload) for n in chosen]
    except Exception as exc:  # noqa: BLE001 - retried one by one, which classifies the failure
        log.warning("a batch of %d messages failed (%s); applying them one by one",
                    len(batch), describe(exc))
        return None
    for n, result in zip(chosen, results):
        log_result(batch[n], result)
    return set(chosen)


def _lock_named_servers(core, session, batch: list[Prepared], skip_locked: bool) -> list[int]:
    """One row-lock statement for every server the batch names, instead of one per message
    (the round trips were most of a batch's time: see docs/performance.md); returns the
    positions of the messages whose server is locked or that name none."""
    ids = [core.naming.server_id(p.instance) if p.instance else None for p in batch]
    locked = notifications.lock_servers(session, [i for i in ids if i is not None], skip_locked)
    return [n for n, i in enumerate(ids) if not skip_locked or i is None or i in locked]


def describe(exc: Exception) -> str:
    """One line naming the exception (database errors span several lines)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def log_result(prepared: Prepared, result: HandlerResult) -> None:
    log.info("%s for %s: %s%s", prepared.message_type, prepared.instance, result.outcome.value,
             f" ({result.reason})" if result.reason else "")
