"""Which queues exist and what they bind to, computed from the settings at start-up.

Every enabled message type (``synnefo.message_handlers``) gets one durable queue on the
``ganeti`` topic exchange, plus a dead-letter queue ``<queue>-dl``. Synnefo's own types bind
``ganeti.<routing prefix>.event.op|net|progress``; any other type names its binding key(s) in
the ``.ini``, so a third-party handler adds a queue without touching the core::

    synnefo.message_handlers = ganeti-op-status ganeti-net-status example-ping
    synnefo.queues.example-ping = ganeti.{prefix}.event.ping

``{prefix}`` is replaced by the routing prefix (``snf`` for ``snf-``). The queue is named
``<routing prefix>-events-<last word of the first key>`` (``snf-events-ping``).
"""
from __future__ import annotations

from dataclasses import dataclass

from synnefo.core import messages
from synnefo.core.domain.naming import InstanceNaming
from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings

DEAD_LETTER_SUFFIX = "-dl"


@dataclass(frozen=True)
class QueueSpec:
    """One work queue: the message type it carries, its name and its binding keys."""
    message_type: str
    name: str
    binding_keys: tuple[str, ...]

    @property
    def dead_letter(self) -> str:
        return self.name + DEAD_LETTER_SUFFIX


@dataclass(frozen=True)
class Topology:
    exchange: str
    queue_type: str
    queues: tuple[QueueSpec, ...]

    def by_name(self, name: str) -> QueueSpec:
        """The work queue called ``name``, or whose dead-letter queue is called ``name``."""
        for spec in self.queues:
            if name in (spec.name, spec.dead_letter, spec.message_type):
                return spec
        raise ConfigurationError(f"no queue {name!r}; queues: "
                                 f"{', '.join(q.name for q in self.queues) or 'none'}")


def build_topology(settings: Settings) -> Topology:
    """The queues of this deployment: one per enabled message type."""
    prefix = InstanceNaming(settings.instance_prefix).routing_prefix
    extra = settings.section("queues")
    specs = tuple(_queue_spec(t, prefix, extra) for t in settings.message_handlers)
    return Topology(messages.EXCHANGE, settings.queue_type, specs)


def _queue_spec(message_type: str, prefix: str, extra: dict[str, str]) -> QueueSpec:
    if message_type in extra:
        keys = tuple(k.replace("{prefix}", prefix) for k in extra[message_type].split())
    elif message_type in messages.ROUTING_SUFFIX:
        keys = (messages.routing_key(prefix, message_type),)
    else:
        raise ConfigurationError(
            f"message type {message_type!r} is enabled but no queue carries it; add "
            f"'synnefo.queues.{message_type} = ganeti.{{prefix}}.event.<word>' to the .ini")
    if not keys:
        raise ConfigurationError(f"synnefo.queues.{message_type} names no binding key")
    return QueueSpec(message_type, f"{prefix}-events-{keys[0].rsplit('.', 1)[-1]}", keys)
