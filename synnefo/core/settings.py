"""One colander schema turns the ``synnefo.*`` keys of the ``.ini`` into a frozen Settings.

Every key can be overridden from the environment: ``synnefo.db_url`` by ``SYNNEFO_DB_URL``,
``synnefo.backend.password`` by ``SYNNEFO_BACKEND_PASSWORD`` (dots and dashes become
underscores), so secrets need not live in the file. A bad value raises ConfigurationError
naming the key. Keys the schema does not know (plugin options such as ``synnefo.fake.*``) are kept
in ``Settings.extra`` and parsed by the plugin with ``parse_section``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import colander

from synnefo.core.errors import ConfigurationError

PREFIX = "synnefo."


class WordList(colander.SchemaType):
    """Whitespace- or comma-separated words -> tuple of str."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, (list, tuple)):
            return tuple(cstruct)
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, f"{cstruct!r} is not a list of names")
        return tuple(w for w in cstruct.replace(",", " ").split() if w)

    def serialize(self, node, appstruct):
        return " ".join(appstruct)


def _bool():
    return colander.Boolean(false_choices=("false", "0", "no", "off"),
                            true_choices=("true", "1", "yes", "on"))


def _node(typ, name, default, validator=None):
    return colander.SchemaNode(typ, name=name, missing=default, validator=validator)


def _one_of(*choices):
    return colander.OneOf(choices)


class SettingsSchema(colander.MappingSchema):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        for node in _schema_nodes():
            self.add(node)


def _schema_nodes():
    s, i, b, w = colander.String, colander.Int, _bool, WordList
    pos = colander.Range(min=1)
    return [
        _node(s(), "db_url", "sqlite:///synnefo.sqlite"),
        _node(b(), "db_echo", False),
        _node(s(), "amqp_url", "sqla+sqlite:///synnefo-broker.sqlite"),
        _node(s(), "queue_type", "classic", _one_of("classic", "quorum")),
        _node(i(), "amqp_prefetch", 10, pos),
        _node(s(), "instance_prefix", "snf-", colander.Regex(r"^[a-z0-9]+-[a-z0-9-]*$",
                                                                "must look like 'snf-' (letters/digits, a dash)")),
        _node(w(), "backend_drivers", ("fake", "ganeti")),
        _node(s(), "console_proxy", "fake"),
        _node(s(), "publisher", "kombu"),
        _node(w(), "message_handlers",
              ("ganeti-op-status", "ganeti-net-status", "ganeti-create-progress")),
        _node(w(), "hooks", ("default-scheduler",)),
        _node(b(), "dispatcher_in_process", False),
        _node(b(), "seed_demo", False),
        _node(s(), "demo_user", "demo"),
        _node(s(), "demo_password", "demo"),
        _node(i(), "token_lifetime_hours", 720, pos),
        _node(s(), "public_url", "http://127.0.0.1:6543"),
        _node(s(), "os_provider", "image+default"),
        _node(s(), "public_network", ""),
        _node(i(), "reconciliation_min", 30, pos),
        _node(i(), "default_max_servers", 10, colander.Range(min=0)),
        _node(i(), "default_max_cores", 40, colander.Range(min=0)),
        _node(i(), "default_max_ram_mib", 81920, colander.Range(min=0)),
        _node(i(), "default_max_disk_gib", 1000, colander.Range(min=0)),
        _node(i(), "max_metadata_items", 128, colander.Range(min=0)),
        # The backend the deployment seeds into the backends table at start-up (if set).
        _node(s(), "backend.name", ""),
        _node(s(), "backend.driver", "fake"),
        _node(s(), "backend.rapi_url", ""),
        _node(s(), "backend.username", ""),
        _node(s(), "backend.password", ""),
    ]


@dataclass(frozen=True)
class Settings:
    db_url: str
    db_echo: bool
    amqp_url: str
    queue_type: str
    amqp_prefetch: int
    instance_prefix: str
    backend_drivers: tuple[str, ...]
    console_proxy: str
    publisher: str
    message_handlers: tuple[str, ...]
    hooks: tuple[str, ...]
    dispatcher_in_process: bool
    seed_demo: bool
    demo_user: str
    demo_password: str
    token_lifetime_hours: int
    public_url: str
    os_provider: str
    public_network: str
    reconciliation_min: int
    default_max_servers: int
    default_max_cores: int
    default_max_ram_mib: int
    default_max_disk_gib: int
    max_metadata_items: int
    backend: Mapping[str, str]
    extra: Mapping[str, str] = field(default_factory=dict)
    here: str = "."

    def section(self, name: str) -> dict[str, str]:
        """Raw plugin options: ``synnefo.<name>.<key>`` -> ``{key: value}``."""
        prefix = f"{name}."
        return {k[len(prefix):]: v for k, v in self.extra.items() if k.startswith(prefix)}

    def replace(self, **changes) -> "Settings":
        from dataclasses import replace
        return replace(self, **changes)


def env_name(key: str) -> str:
    """The environment variable that overrides ``synnefo.<key>``."""
    return "SYNNEFO_" + key.replace(".", "_").replace("-", "_").upper()


def parse_settings(raw: Mapping[str, str], environ: Mapping[str, str] | None = None) -> Settings:
    """Parse the ``synnefo.*`` keys of an ``.ini`` section (other keys are ignored)."""
    environ = os.environ if environ is None else environ
    values = _with_env(_strip_prefix(raw), environ)
    schema = SettingsSchema()
    known = {node.name for node in schema.children}
    parsed = _deserialize(schema, {k: v for k, v in values.items() if k in known})
    extra = {k: v for k, v in values.items() if k not in known}
    return _build(parsed, extra, raw.get("here", "."))


def parse_section(schema: colander.SchemaNode, settings: Settings, section: str,
                  environ: Mapping[str, str] | None = None) -> dict:
    """Parse a plugin's options (``synnefo.<section>.*``) with its own schema; each option can
    be overridden from the environment (``SYNNEFO_<SECTION>_<KEY>``) even if the file lacks it."""
    environ = os.environ if environ is None else environ
    values = settings.section(section)
    for node in schema.children:
        name = env_name(f"{section}.{node.name}")
        if name in environ:
            values[node.name] = environ[name]
    return _deserialize(schema, values, key_prefix=f"{PREFIX}{section}.")


def _strip_prefix(raw: Mapping[str, str]) -> dict[str, str]:
    return {k[len(PREFIX):]: v for k, v in raw.items() if k.startswith(PREFIX)}


def _with_env(values: dict[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    merged = dict(values)
    for key in set(values) | {n.name for n in SettingsSchema().children}:
        if env_name(key) in environ:
            merged[key] = environ[env_name(key)]
    return merged


def _deserialize(schema, values: dict, key_prefix: str = PREFIX) -> dict:
    try:
        return schema.deserialize({k: v.strip() if isinstance(v, str) else v
                                   for k, v in values.items()})
    except colander.Invalid as exc:
        problems = "; ".join(f"{key_prefix}{k}: {msg}" for k, msg in sorted(exc.asdict().items()))
        raise ConfigurationError(f"invalid setting {problems}") from None


def _build(parsed: dict, extra: dict, here: str) -> Settings:
    backend = {k.split(".", 1)[1]: v for k, v in parsed.items() if k.startswith("backend.")}
    plain = {k: v for k, v in parsed.items() if not k.startswith("backend.")}
    return Settings(**plain, backend=MappingProxyType(backend),
                    extra=MappingProxyType(dict(extra)), here=here)
