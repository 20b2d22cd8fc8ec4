"""What every built-in handler does first: find the server an instance name belongs to."""
from __future__ import annotations

import logging

from synnefo.core.contracts.handler import HandlerOutcome, HandlerResult

log = logging.getLogger(__name__)


def not_ours(message_type: str, instance: str) -> HandlerResult:
    log.info("%s for %r ignored: not one of our instances", message_type, instance)
    return HandlerResult(HandlerOutcome.IGNORED, f"instance {instance!r} is not ours")
