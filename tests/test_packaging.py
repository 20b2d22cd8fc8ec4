"""One extra per node role (setup.py): each role's programs import only what its extra (with
the common minimum) installs, and a GANETI-MASTER (``synnefo[ganeti]``) gets no Pyramid.

The imports come from the static import graph (grimp, as import-linter sees it), so a lazy
import inside a function counts too; the installed requirements come from synnefo's own
metadata, resolved through the dependencies of each distribution."""
from __future__ import annotations

import importlib.metadata as md
import sys

import grimp
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# The programs of each role, as the systemd units in deploy/systemd/ start them.
ROLE_PROGRAMS = {
    "ganeti": ["synnefo.daemons.eventd", "synnefo.daemons.ganeti_hook"],
    "console": ["synnefo.daemons.vncauthproxy"],
    "logic": ["synnefo.daemons.dispatcher", "synnefo.daemons.manage"],
    "web": ["synnefo.web"],
}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("synnefo", include_external_packages=True, cache_dir=None)


def installed_with(extra: str) -> set[str]:
    """Every distribution ``pip install synnefo[extra]`` brings in (synnefo's dependencies with
    their own, recursively; markers of other extras left out)."""
    wanted = [Requirement(r) for r in md.requires("synnefo")]
    todo = [r for r in wanted if not r.marker or r.marker.evaluate({"extra": extra})]
    found: set[str] = set()
    while todo:
        name = canonicalize_name(todo.pop().name)
        if name in found:
            continue
        found.add(name)
        todo += [Requirement(r) for r in md.requires(name) or ()
                 if not Requirement(r).marker or Requirement(r).marker.evaluate({"extra": ""})]
    return found


def imported_distributions(graph, modules: list[str]) -> dict[str, set[str]]:
    """Third-party distribution -> the top-level names through which ``modules`` import it."""
    names = set()
    for module in modules:
        names |= graph.find_upstream_modules(module, as_package=True)
    owners = md.packages_distributions()
    found: dict[str, set[str]] = {}
    for name in names:
        top = name.split(".")[0]
        if top == "synnefo" or top in sys.stdlib_module_names or top == "__future__":
            continue
        for dist in owners.get(top, [top]):
            found.setdefault(canonicalize_name(dist), set()).add(top)
    return found


@pytest.mark.parametrize("role", sorted(ROLE_PROGRAMS))
def test_each_role_installs_what_its_programs_import(graph, role):
    missing = {dist: tops for dist, tops in imported_distributions(graph, ROLE_PROGRAMS[role]).items()
               if dist not in installed_with(role)}
    assert not missing, f"synnefo[{role}] lacks distributions its programs import: {missing}"


def test_a_ganeti_master_gets_no_web_framework():
    brought = installed_with("ganeti")
    assert {"pyramid", "waitress", "webob"}.isdisjoint(brought), sorted(brought)
    assert "pyramid" in installed_with("web")      # the check above can fail
