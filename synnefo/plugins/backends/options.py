"""Driver options: ``.ini`` section defaults, overridden per backend by the row's ``options``.

A driver's options come from two places, in this order of precedence:

1. the backend row's ``options`` (JSON, set with ``snf-manage backend-add/-modify``);
2. the ``.ini`` keys ``synnefo.<section>.<key>`` (``core.settings.section(section)``).

Both are parsed with the driver's colander schema; a bad value raises ``ConfigurationError``
naming the key and the backend.
"""
from __future__ import annotations

import colander

from synnefo.core.contracts import BackendInfo
from synnefo.core.errors import ConfigurationError


def boolean() -> colander.Boolean:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` (JSON booleans too)."""
    return colander.Boolean(false_choices=("false", "0", "no", "off"),
                            true_choices=("true", "1", "yes", "on"))


def option(typ, name: str, default, validator=None) -> colander.SchemaNode:
    return colander.SchemaNode(typ, name=name, missing=default, validator=validator)


def driver_options(schema: colander.SchemaNode, backend: BackendInfo, core, section: str) -> dict:
    """Parse the merged options of one backend with ``schema``."""
    raw = dict(core.settings.section(section)) if core is not None else {}
    raw.update(backend.options or {})
    known = {child.name for child in schema.children}
    values = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items() if k in known}
    try:
        return schema.deserialize(values)
    except colander.Invalid as exc:
        problems = "; ".join(f"{k}: {msg}" for k, msg in sorted(exc.asdict().items()))
        raise ConfigurationError(
            f"backend {backend.name!r}: invalid driver option {problems} "
            f"(from the backend's options or synnefo.{section}.*)") from None
