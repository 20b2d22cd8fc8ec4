"""The development composition root: the API and a dispatcher in one process.

``use = egg:synnefo#development`` in ``development.ini`` names this PasteDeploy app factory. It
is the one module that imports both ``synnefo.web`` and ``synnefo.daemons``: the API never
starts a daemon itself. With ``synnefo.dispatcher_in_process = false`` it serves the API alone
(an ``snf-dispatcher`` then runs beside it).
"""
from __future__ import annotations

import logging

from synnefo import web
from synnefo.daemons import dispatcher

log = logging.getLogger(__name__)


def main(global_config, **settings):
    """The WSGI app of ``synnefo.web`` and, if the settings ask, a dispatcher thread."""
    core = web.seeded_core(web.app_settings(global_config, settings))
    app = web.make_app(core, settings=settings)
    if core.settings.dispatcher_in_process:
        app.registry.dispatcher = dispatcher.start_in_process(core)
        log.info("in-process dispatcher started")
    return app
