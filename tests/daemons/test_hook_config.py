"""The hook's standard-library reader of the .ini agrees with the full loader, and hands
over to it whenever it is not sure."""
from __future__ import annotations

import pytest

from synnefo.daemons import hook_config
from synnefo.daemons.eventd.cli import load_config


def _full(path: str) -> hook_config.HookConfig:
    settings, config = load_config(path)
    return hook_config.HookConfig(settings.instance_prefix, config.spool, config.node_name,
                                  config.hook_time_limit)


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text", [
    "[app:main]\nsynnefo.db_url = sqlite://\n",   # every default
    "[app:main]\nsynnefo.instance_prefix = web-\n\n[synnefo:eventd]\nspool = spool/m.sqlite\n"
    "node_name = node1.example.test\nhook_time_limit = 3\ndeclare_topology = false\n",
    "[app:main]\nsynnefo.instance_prefix = snf-\n\n[synnefo:eventd]\n"
    "spool = %(here)s/abs.sqlite\n",
])
def test_the_light_reader_agrees_with_the_full_loader(tmp_path, text, monkeypatch):
    monkeypatch.delenv("SYNNEFO_INSTANCE_PREFIX", raising=False)
    path = _write(tmp_path / "synnefo.ini", text)
    assert hook_config.read(path, {}) == _full(path)


def test_inheritance_and_the_environment(tmp_path, monkeypatch):
    _write(tmp_path / "base.ini", "[app:main]\nsynnefo.instance_prefix = abc-\n\n"
           "[synnefo:eventd]\nnode_name = n1\nspool = base.sqlite\n")
    path = _write(tmp_path / "site.ini", "[app:main]\nuse = config:base.ini\n\n"
                  "[synnefo:eventd]\nhook_time_limit = 2\n")
    monkeypatch.delenv("SYNNEFO_INSTANCE_PREFIX", raising=False)
    assert hook_config.read(path, {}) == _full(path)
    assert hook_config.read(path, {}).instance_prefix == "abc-"
    monkeypatch.setenv("SYNNEFO_INSTANCE_PREFIX", "xyz-")
    assert hook_config.read(path, {"SYNNEFO_INSTANCE_PREFIX": "xyz-"}) == _full(path)


@pytest.mark.parametrize("text", [
    "[app:main]\n\n[synnefo:eventd]\nspoool = typo.sqlite\n",        # unknown key
    "[app:main]\n\n[synnefo:eventd]\nhook_time_limit = soon\n",      # not a number
    "[app:main]\n\n[synnefo:eventd]\nhook_time_limit = 0.5\n",       # below the minimum
    "[app:main]\nsynnefo.instance_prefix = Bad_Prefix\n",             # refused by the schema
    "[server:main]\nport = 1\n",                                     # no [app:main]
])
def test_whatever_it_is_unsure_of_goes_to_the_full_loader(tmp_path, text):
    assert hook_config.read(_write(tmp_path / "synnefo.ini", text), {}) is None
