"""The Pyramid application: ``main`` is the PasteDeploy app factory (``pserve``)."""
from __future__ import annotations

import importlib
import logging

from pyramid.config import Configurator
from pyramid.settings import aslist

from synnefo.core.app import Core, build_core
from synnefo.core.services.seed import seed
from synnefo.core.settings import parse_settings
from synnefo.web.jsonrender import json_renderer

log = logging.getLogger(__name__)


def main(global_config, **settings):
    """Parse the ``[app:main]`` settings, build the core and return the WSGI app."""
    raw = dict(settings)
    if global_config and "here" in global_config:
        raw.setdefault("here", global_config["here"])
    core = build_core(parse_settings(raw))
    seed(core)
    app = make_app(core, settings=settings)
    if core.settings.dispatcher_in_process:
        app.registry.dispatcher = _start_dispatcher(core)
    return app


def _start_dispatcher(core: Core):
    dispatcher = importlib.import_module("synnefo.daemons.dispatcher")
    handle = dispatcher.start_in_process(core)
    log.info("in-process dispatcher started")
    return handle


def make_app(core: Core, settings: dict | None = None):
    """The WSGI application serving ``core`` (used by ``main`` and by tests)."""
    settings = dict(settings or {})
    # Plugins' routes are included after ours, so that none can shadow the API.
    plugin_includes = aslist(settings.pop("pyramid.includes", ""))
    config = Configurator(settings=settings)
    config.registry.core = core
    config.add_renderer("json", json_renderer())
    config.include("synnefo.web.routes")
    config.include("synnefo.web.context")
    config.scan("synnefo.web.views")
    config.scan("synnefo.web.faults")
    config.scan("synnefo.web.openapi")
    _method_fallbacks(config)
    config.commit()
    for include in plugin_includes:
        config.include(include)
    return config.make_wsgi_app()


def _method_fallbacks(config) -> None:
    """A route whose views do not take the request's method answers 405, not 404."""
    from synnefo.web.routes import ROUTES
    from synnefo.web.views.common import raise_405
    for route in ROUTES:
        config.add_view(raise_405, route_name=route.name)
