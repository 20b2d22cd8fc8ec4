"""What the Ganeti hook needs from the ``.ini``, read with the standard library only.

The full loader (``synnefo.daemons.eventd.cli.load_config``: plaster, PasteDeploy, colander)
costs more start-up time than the hook's whole budget. This reader understands what an
operator writes for the hook: ``%(here)s``, ``use = config:`` inheritance of ``[app:main]`` and
of ``[synnefo:eventd]``, ``SYNNEFO_INSTANCE_PREFIX``, relative spool paths. Anything it is not
sure about (an unknown key, a value the full loader would refuse) makes ``read`` return None,
and the caller falls back to the full loader, which reports the problem with its usual message.
``tests/daemons/test_hook_config.py`` checks that both readers agree.
"""
from __future__ import annotations

import configparser
import os
import re
from collections import namedtuple
from collections.abc import Mapping

# The defaults of synnefo.core.settings and synnefo.daemons.eventd.config (tested equal).
DEFAULT_PREFIX = "snf-"
DEFAULT_SPOOL = "/var/spool/synnefo/eventd.sqlite"
DEFAULT_TIME_LIMIT = 5.0
PREFIX_PATTERN = re.compile(r"^[a-z0-9]+-[a-z0-9-]*$")
EVENTD_KEYS = frozenset({
    "queue_dir", "ssconf_dir", "node_name", "state", "spool", "pid_file",
    "master_check_interval", "retry_interval", "connect_timeout", "max_backlog",
    "state_retention", "hook_time_limit", "hook_connect_timeout", "declare_topology"})


class HookConfig(namedtuple("HookConfig", "instance_prefix spool node_name hook_time_limit")):
    """The hook's settings (a named tuple: ``dataclasses`` costs the hook milliseconds)."""
    __slots__ = ()


def read(path: str, environ: Mapping[str, str]) -> HookConfig | None:
    """The hook's settings from the .ini at ``path``; None when the full loader must decide."""
    app: dict[str, str] = {}
    eventd: dict[str, str] = {}
    try:
        for parser, section in _chain(os.path.abspath(path)):
            app.update(parser.items(f"app:{section}"))
            if parser.has_section("synnefo:eventd"):
                eventd.update(parser.items("synnefo:eventd"))
    except (configparser.Error, OSError, ValueError):
        return None
    for key in ("here", "__file__", "use"):
        app.pop(key, None)
        eventd.pop(key, None)
    return _build(app, eventd, os.path.dirname(os.path.abspath(path)), environ)


def _build(app: dict, eventd: dict, here: str, environ: Mapping[str, str]) -> HookConfig | None:
    if set(eventd) - EVENTD_KEYS:
        return None
    prefix = environ.get("SYNNEFO_INSTANCE_PREFIX", app.get("synnefo.instance_prefix",
                                                             DEFAULT_PREFIX)).strip()
    try:
        limit = float(eventd.get("hook_time_limit", "").strip() or DEFAULT_TIME_LIMIT)
    except ValueError:
        return None
    if not PREFIX_PATTERN.match(prefix) or limit < 1.0:
        return None
    spool = eventd.get("spool", "").strip() or DEFAULT_SPOOL
    return HookConfig(instance_prefix=prefix, spool=os.path.join(here, spool),
                      node_name=eventd.get("node_name", "").strip(), hook_time_limit=limit)


def _chain(path: str) -> list[tuple[configparser.ConfigParser, str]]:
    """The parsed files of ``[app:main]``'s ``use = config:`` chain, base first."""
    chain: list[tuple[configparser.ConfigParser, str]] = []
    section = "main"
    seen = set()
    while (path, section) not in seen:
        seen.add((path, section))
        parser = _parse(path)
        chain.append((parser, section))
        parent = parser.get(f"app:{section}", "use", fallback="")
        if not parent.startswith("config:"):
            return chain[::-1]
        parent_path, _, parent_section = parent[len("config:"):].partition("#")
        path = os.path.abspath(os.path.join(os.path.dirname(path), parent_path))
        section = parent_section or "main"
    raise ValueError(f"{path}: 'use = config:' loops")


def _parse(path: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(defaults={"here": os.path.dirname(path), "__file__": path})
    parser.optionxform = str   # PasteDeploy keeps the keys' case
    with open(path, encoding="utf-8") as handle:
        parser.read_file(handle)
    return parser
