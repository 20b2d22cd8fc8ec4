"""The headers the dispatcher adds when it retries or dead-letters a message."""
from __future__ import annotations

REASON = "x-synnefo-reason"          # why the message was dead-lettered
ORIGIN_QUEUE = "x-synnefo-queue"     # the work queue it came from (queue-retry sends it back there)
RETRIES = "x-synnefo-retries"        # how many times it was requeued after a transient failure
FAILED_AT = "x-synnefo-failed-at"    # when it was dead-lettered (ISO 8601, UTC)

OURS = (REASON, ORIGIN_QUEUE, RETRIES, FAILED_AT)


def retries(headers: dict | None) -> int:
    try:
        return max(0, int((headers or {}).get(RETRIES, 0)))
    except (TypeError, ValueError):
        return 0


def for_retry(headers: dict | None, queue: str) -> dict:
    return {**(headers or {}), RETRIES: retries(headers) + 1, ORIGIN_QUEUE: queue}


def for_dead_letter(headers: dict | None, queue: str, reason: str, failed_at: str) -> dict:
    return {**(headers or {}), REASON: reason, ORIGIN_QUEUE: queue, FAILED_AT: failed_at}


def cleaned(headers: dict | None) -> dict:
    """The original headers, without ours (a retried message starts afresh)."""
    return {k: v for k, v in (headers or {}).items() if k not in OURS}
