"""The ``static-scheduler`` hook plugin: pin new servers to a backend by flavor name.

Option ``synnefo.static_scheduler.rules``: one ``<flavor glob> = <backend name>`` per line,
tried in order (``fnmatch`` globs, case-sensitive). The first rule whose glob matches the
flavor's name decides; if its backend is not among the candidates (drained, offline or unknown)
or no rule matches, the hook answers None and the next implementation (e.g. the built-in
``default-scheduler``) chooses.
"""
from __future__ import annotations

import fnmatch
import logging

import colander

from synnefo.plugin import hookimpl, parse_section

log = logging.getLogger(__name__)
SECTION = "static_scheduler"


class Rules(colander.SchemaType):
    """Lines of ``glob = backend`` -> tuple of (glob, backend) pairs."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        rules = tuple(_rule(node, line) for line in cstruct.splitlines() if line.strip())
        if not rules:
            raise colander.Invalid(node, "no rules: give one '<flavor glob> = <backend name>' a line")
        return rules


def _rule(node, line: str) -> tuple[str, str]:
    glob, sep, backend = (part.strip() for part in line.partition("="))
    if not (sep and glob and backend):
        raise colander.Invalid(node, f"{line.strip()!r} is not '<flavor glob> = <backend name>'")
    return glob, backend


class StaticSchedulerSchema(colander.MappingSchema):
    rules = colander.SchemaNode(Rules())


class StaticScheduler:
    """Built once per process with the settings (``cls(settings=settings)``)."""

    def __init__(self, settings):
        self.rules = parse_section(StaticSchedulerSchema(), settings, SECTION)["rules"]

    @hookimpl
    def select_backend(self, backends, flavor, owner):
        wanted = self.backend_for(flavor.name)
        if wanted is None:
            return None
        chosen = next((b for b in backends if b.name == wanted), None)
        if chosen is None:
            log.info("flavor %s is pinned to backend %s, which takes no new servers; "
                     "falling back", flavor.name, wanted)
        return chosen

    def backend_for(self, flavor_name: str) -> str | None:
        """The backend the first matching rule names, or None."""
        return next((backend for glob, backend in self.rules
                     if fnmatch.fnmatchcase(flavor_name, glob)), None)
