"""The ``name-policy`` hook plugin: veto new servers whose name does not match a regex.

Option ``synnefo.name_policy.pattern`` (default: a lower-case DNS label) must match the whole
name. A server that fails it is refused with ``InvalidInput`` (400 ``badRequest`` on the API)
before anything is written or submitted.
"""
from __future__ import annotations

import re

import colander

from synnefo.plugin import InvalidInput, hookimpl, parse_section

SECTION = "name_policy"
DEFAULT_PATTERN = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"


def _compiles(node, value):
    try:
        re.compile(value)
    except re.error as exc:
        raise colander.Invalid(node, f"{value!r} is not a regular expression: {exc}") from None


class NamePolicySchema(colander.MappingSchema):
    pattern = colander.SchemaNode(colander.String(), missing=DEFAULT_PATTERN, validator=_compiles)


class NamePolicy:
    """Built once per process with the settings (``cls(settings=settings)``)."""

    def __init__(self, settings):
        options = parse_section(NamePolicySchema(), settings, SECTION)
        self.pattern = re.compile(options["pattern"])

    @hookimpl
    def before_server_create(self, uow, owner, flavor, image, name):
        if self.pattern.fullmatch(name or "") is None:
            raise InvalidInput(
                f"Server name {name!r} does not follow the naming policy: it must match "
                f"{self.pattern.pattern!r}.", name=name, pattern=self.pattern.pattern)
