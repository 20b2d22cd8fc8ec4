"""The two paste app factories: ``egg:synnefo`` serves the API and never starts a daemon;
``egg:synnefo#development`` adds the in-process dispatcher when the settings ask for it."""
from __future__ import annotations

import pytest

from synnefo import devserver, web
from synnefo.core.errors import ConfigurationError


def settings(tmp_path, **extra) -> dict:
    return {"synnefo.db_url": f"sqlite:///{tmp_path}/db.sqlite",
            "synnefo.amqp_url": f"sqla+sqlite:///{tmp_path}/broker.sqlite",
            "synnefo.seed_demo": "true", "synnefo.hooks": "", **extra}


def test_the_production_factory_refuses_an_in_process_dispatcher(tmp_path):
    with pytest.raises(ConfigurationError, match="egg:synnefo#development"):
        web.main({"here": str(tmp_path)}, **settings(tmp_path,
                                                    **{"synnefo.dispatcher_in_process": "true"}))


def test_the_development_factory_starts_the_dispatcher_only_when_asked(tmp_path):
    api_only = devserver.main({"here": str(tmp_path)}, **settings(tmp_path))
    assert not hasattr(api_only.registry, "dispatcher")
    api_only.registry.core.close()
    app = devserver.main({"here": str(tmp_path)},
                         **settings(tmp_path, **{"synnefo.dispatcher_in_process": "true"}))
    try:
        assert app.registry.dispatcher.thread.is_alive()
    finally:
        app.registry.dispatcher.stop()
        app.registry.core.close()
    assert not app.registry.dispatcher.thread.is_alive()
