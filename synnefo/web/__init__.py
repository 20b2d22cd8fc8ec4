"""The Pyramid application: ``main`` is the PasteDeploy app factory (``pserve``).

It serves the API only; ``synnefo.devserver:main`` (``use = egg:synnefo#development``) adds an
in-process dispatcher for development.
"""
from __future__ import annotations

import logging

from pyramid.config import Configurator
from pyramid.settings import aslist
from pyramid.renderers import JSON

from synnefo.core.app import Core, build_core
from synnefo.core.errors import ConfigurationError
from synnefo.core.services.seed import seed
from synnefo.core.settings import Settings, parse_settings

log = logging.getLogger(__name__)


def main(global_config, **settings):
    """Parse the ``[app:main]`` settings, build the core and return the WSGI app."""
    parsed = app_settings(global_config, settings)
    if parsed.dispatcher_in_process:
        raise ConfigurationError("synnefo.dispatcher_in_process = true needs the development "
                                 "app factory: use = egg:synnefo#development")
    return make_app(seeded_core(parsed), settings=settings)


def app_settings(global_config, settings: dict) -> Settings:
    """The ``synnefo.*`` keys of ``[app:main]``, with PasteDeploy's ``here``."""
    raw = dict(settings)
    if global_config and "here" in global_config:
        raw.setdefault("here", global_config["here"])
    return parse_settings(raw)


def seeded_core(settings: Settings) -> Core:
    """The core, with the database seeded as the settings ask."""
    core = build_core(settings)
    seed(core)
    return core


def make_app(core: Core, settings: dict | None = None):
    """The WSGI application serving ``core`` (used by ``main`` and by tests)."""
    settings = dict(settings or {})
    # Plugins' routes are included after ours, so that none can shadow the API.
    plugin_includes = aslist(settings.pop("pyramid.includes", ""))
    config = Configurator(settings=settings)
    config.registry.core = core
    config.add_renderer("json", JSON(separators=(",", ":")))
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
