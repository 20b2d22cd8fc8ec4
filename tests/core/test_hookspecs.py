"""Every hookspec is typed, documents each parameter, is re-exported for authors, and is
exercised: a plugin implementing every hook, installed and enabled like a third-party one,
sees each of them called during one server's life (Datasette's rule)."""
from __future__ import annotations

import inspect
import sys

import pytest

import synnefo.plugin
from synnefo.core import hookspecs
from synnefo.testing.deployment import API, Deployment
from synnefo.testing.distributions import test_distribution as distribution

SPECS = sorted((f for _, f in inspect.getmembers(hookspecs, inspect.isfunction)
                if hasattr(f, f"{hookspecs.PROJECT}_spec")), key=lambda f: f.__name__)


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_every_hookspec_is_annotated_and_documents_each_parameter(spec):
    signature = inspect.signature(spec)
    assert signature.return_annotation is not inspect.Signature.empty, spec.__name__
    for name, parameter in signature.parameters.items():
        assert parameter.annotation is not inspect.Parameter.empty, f"{spec.__name__}({name})"
        assert f":param {name}:" in spec.__doc__, f"{spec.__name__} does not document {name}"


def test_the_public_module_gives_authors_the_hook_marker():
    assert synnefo.plugin.hookimpl is hookspecs.hookimpl
    assert all(hasattr(synnefo.plugin, name) for name in synnefo.plugin.__all__)


def recorder_source() -> str:
    """A hook module implementing every hookspec; each call is appended to ``CALLS``."""
    lines = ["from synnefo.plugin import hookimpl", "CALLS = []"]
    for spec in SPECS:
        params = ", ".join(inspect.signature(spec).parameters)
        lines += ["@hookimpl", f"def {spec.__name__}({params}):",
                  f"    CALLS.append({spec.__name__!r})"]
    return "\n".join(lines) + "\n"


def test_every_hook_is_called_during_a_servers_life(tmp_path):
    with distribution(tmp_path / "dist", "hook-recorder",
                           {"synnefo.hooks": ["hook-recorder = hook_recorder"]},
                           {"hook_recorder": recorder_source()}):
        deployment = Deployment(tmp_path / "site", hooks="hook-recorder default-scheduler")
        try:
            server_id = deployment.create_server("lifecycle").json["server"]["id"]
            deployment.settle()
            deployment.api.post_json(f"{API}/servers/{server_id}/action",
                                     {"reboot": {"type": "SOFT"}}, status=202)
            deployment.settle()
            deployment.api.delete(f"{API}/servers/{server_id}", status=204)
            deployment.settle()
            called = set(sys.modules["hook_recorder"].CALLS)
        finally:
            deployment.close()
    assert called == {spec.__name__ for spec in SPECS}
