"""The ``[synnefo:eventd]`` section: knobs of the Ganeti-side daemons (eventd and the hook).

The hook reads the same section so both agree on the spool file and on this node's name.
"""
from __future__ import annotations

from dataclasses import dataclass

import colander

from synnefo.core.errors import ConfigurationError

SECTION = "eventd"


def _float(name, default, minimum=0.1):
    return colander.SchemaNode(colander.Float(), name=name, missing=default,
                               validator=colander.Range(min=minimum))


def _bool(name, default):
    return colander.SchemaNode(colander.Boolean(false_choices=("false", "0", "no", "off"),
                                                true_choices=("true", "1", "yes", "on")),
                               name=name, missing=default)


def _str(name, default):
    return colander.SchemaNode(colander.String(allow_empty=True), name=name, missing=default)


class EventdSchema(colander.MappingSchema):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        for node in (
            _str("queue_dir", "/var/lib/ganeti/queue"),
            _str("ssconf_dir", "/var/lib/ganeti"),
            _str("node_name", ""),
            _str("state", "/var/lib/synnefo/eventd-state.sqlite"),
            _str("spool", "/var/spool/synnefo/eventd.sqlite"),
            _str("pid_file", "/run/synnefo/snf-ganeti-eventd.pid"),
            _float("master_check_interval", 5.0),
            _float("retry_interval", 5.0),
            _float("connect_timeout", 3.0),
            _float("max_backlog", 86400.0, 1.0),
            _float("state_retention", 7 * 86400.0, 3600.0),
            _float("hook_time_limit", 5.0, 1.0),
            _float("hook_connect_timeout", 2.0),
            _bool("declare_topology", True),
        ):
            self.add(node)


@dataclass(frozen=True)
class EventdConfig:
    queue_dir: str = "/var/lib/ganeti/queue"
    ssconf_dir: str = "/var/lib/ganeti"
    node_name: str = ""
    state: str = "/var/lib/synnefo/eventd-state.sqlite"
    spool: str = "/var/spool/synnefo/eventd.sqlite"
    pid_file: str = "/run/synnefo/snf-ganeti-eventd.pid"
    master_check_interval: float = 5.0
    retry_interval: float = 5.0
    connect_timeout: float = 3.0
    max_backlog: float = 86400.0
    state_retention: float = 7 * 86400.0
    hook_time_limit: float = 5.0
    hook_connect_timeout: float = 2.0
    declare_topology: bool = True


def parse_eventd_config(raw: dict[str, str]) -> EventdConfig:
    """Parse the raw section; unknown keys are an error, so typos do not pass silently."""
    schema = EventdSchema()
    known = {node.name for node in schema.children}
    unknown = sorted(set(raw) - known - {"here", "__file__"})
    if unknown:
        raise ConfigurationError(f"[synnefo:{SECTION}]: unknown key(s) {', '.join(unknown)}")
    try:
        values = schema.deserialize({k: v.strip() for k, v in raw.items() if k in known})
    except colander.Invalid as exc:
        problems = "; ".join(f"{k}: {m}" for k, m in sorted(exc.asdict().items()))
        raise ConfigurationError(f"[synnefo:{SECTION}] invalid setting {problems}") from None
    return EventdConfig(**values)
