"""The dispatcher's own knobs: the ``[synnefo:dispatcher]`` section of the .ini."""
from __future__ import annotations

from dataclasses import dataclass

import colander

from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings


@dataclass(frozen=True)
class DispatcherOptions:
    workers: int = 2              # worker processes (each its own broker and DB connections)
    prefetch: int = 10            # unacked messages the broker hands one worker at a time
    batch_size: int = 10          # messages applied per DB transaction (at most ``prefetch``)
    max_retries: int = 5          # requeues after a transient failure before dead-lettering
    retry_delay: float = 1.0      # first back-off before a requeue; doubles each retry
    retry_delay_max: float = 30.0
    idle_flush: float = 0.2       # seconds without a delivery before a partial batch is applied
    stop_timeout: float = 30.0    # how long the parent waits for workers on SIGTERM
    connect_timeout: float = 2.0  # per broker URL: a node that does not answer costs this
    reconnect_max: float = 2.0    # the longest pause after a whole round of URLs failed


def _schema(defaults: DispatcherOptions) -> colander.SchemaNode:
    def node(typ, name, validator):
        return colander.SchemaNode(typ, name=name, missing=getattr(defaults, name),
                                   validator=validator)
    pos, nonneg = colander.Range(min=1), colander.Range(min=0)
    return colander.SchemaNode(
        colander.Mapping(unknown="raise"),
        node(colander.Int(), "workers", pos), node(colander.Int(), "prefetch", pos),
        node(colander.Int(), "batch_size", pos), node(colander.Int(), "max_retries", nonneg),
        node(colander.Float(), "retry_delay", nonneg), node(colander.Float(), "retry_delay_max", nonneg),
        node(colander.Float(), "idle_flush", colander.Range(min=0.01)),
        node(colander.Float(), "stop_timeout", nonneg),
        node(colander.Float(), "connect_timeout", colander.Range(min=0.1)),
        node(colander.Float(), "reconnect_max", nonneg))


def parse_options(raw: dict[str, str], settings: Settings, **overrides) -> DispatcherOptions:
    """Parse ``[synnefo:dispatcher]``; prefetch defaults to ``synnefo.amqp_prefetch``."""
    defaults = DispatcherOptions(prefetch=settings.amqp_prefetch, batch_size=settings.amqp_prefetch)
    values = {k: v for k, v in raw.items() if k not in ("here", "__file__")}
    try:
        parsed = _schema(defaults).deserialize(values)
    except colander.Invalid as exc:
        problems = "; ".join(f"{k}: {v}" if k else v for k, v in sorted(exc.asdict().items()))
        raise ConfigurationError(f"invalid [synnefo:dispatcher] options: {problems}") from None
    parsed.update({k: v for k, v in overrides.items() if v is not None})
    parsed["batch_size"] = min(parsed["batch_size"], parsed["prefetch"])
    return DispatcherOptions(**parsed)
