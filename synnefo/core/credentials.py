"""Resolve a backend's ``credentials_ref`` to a password, so no secret sits in the database.

* ``env:NAME``: the environment variable NAME;
* ``file:/path``: the first line of a file (e.g. a root-only file);
* ``setting``: the ``synnefo.backend.password`` setting (itself overridable by
  ``SYNNEFO_BACKEND_PASSWORD``);
* empty: no password.
"""
import os

from synnefo.core.errors import ConfigurationError


def resolve_password(ref: str | None, settings) -> str | None:
    if not ref:
        return None
    kind, _, arg = ref.partition(":")
    if kind == "env":
        return _from_env(arg)
    if kind == "file":
        return _from_file(arg)
    if kind == "setting":
        return settings.backend.get("password") or None
    raise ConfigurationError(f"unknown credentials reference {ref!r} (use env:, file: or setting)")


def _from_env(name: str) -> str:
    if name not in os.environ:
        raise ConfigurationError(f"credentials variable {name} is not set")
    return os.environ[name]


def _from_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().rstrip("\n")
    except OSError as exc:
        raise ConfigurationError(f"cannot read credentials file {path}: {exc}") from exc
