"""Every extension point is documented where it is declared and in the author's guide.

Adding a hookspec, a contract method or an entry-point group without a docstring, or without a
mention in ``docs/plugins.md``, fails here.
"""
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

from synnefo.core import contracts, hookspecs, plugins

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hookspec_functions():
    specs = [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(f, f"{hookspecs.PROJECT}_spec")]
    assert specs, "no hookspecs found"
    return specs


def contract_abcs():
    found = []
    for info in pkgutil.iter_modules(contracts.__path__):
        module = importlib.import_module(f"{contracts.__name__}.{info.name}")
        found += [cls for _, cls in inspect.getmembers(module, inspect.isabstract)
                  if cls.__module__ == module.__name__]
    assert found, "no contract ABCs found"
    return found


def abstract_methods():
    return [(cls, name) for cls in contract_abcs() for name in sorted(cls.__abstractmethods__)]


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", hookspec_functions(), ids=lambda f: f.__name__)
def test_every_hookspec_has_a_docstring_and_is_in_the_guide(spec):
    assert spec.__doc__ and len(spec.__doc__.strip()) > 20, f"hookspec {spec.__name__} is undocumented"
    assert f"`{spec.__name__}`" in guide(), f"hook {spec.__name__} is missing from {GUIDE.name}"


@pytest.mark.parametrize("cls, name", abstract_methods(),
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_every_abstract_method_of_a_contract_has_a_docstring(cls, name):
    method = cls.__dict__.get(name)
    assert method is not None and (method.__doc__ or "").strip(), \
        f"{cls.__module__}.{cls.__name__}.{name} has no docstring"


@pytest.mark.parametrize("cls", contract_abcs(), ids=lambda c: c.__name__)
def test_every_contract_is_in_the_guide(cls):
    assert f"`{cls.__name__}`" in guide(), f"contract {cls.__name__} is missing from {GUIDE.name}"


@pytest.mark.parametrize("group", sorted(plugins.GROUPS.values()))
def test_every_entry_point_group_is_in_the_guide(group):
    assert f"`{group}`" in guide(), f"entry-point group {group} is missing from {GUIDE.name}"
