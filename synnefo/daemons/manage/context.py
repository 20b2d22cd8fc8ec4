"""What every snf-manage command may need, built only on first use."""
from __future__ import annotations

import functools
import logging
import os

from synnefo.core.app import Core, build_core
from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings
from synnefo.daemons.config import config_uri, load_settings, setup_logging


# Start-up chatter that daemons log at INFO and a command's user does not need (snf-manage -v
# shows it); what a command itself logs, e.g. the repairs of `reconcile`, stays.
STARTUP_LOGGERS = ("synnefo.core.app", "synnefo.core.plugins", "alembic.runtime.migration")


class CommandContext:
    def __init__(self, config: str | None, verbose: bool = False):
        self.uri = config_uri(config)
        self.verbose = verbose
        self._levels: dict[str, int] = {}
        self._core: Core | None = None

    @functools.cached_property
    def settings(self) -> Settings:
        if not os.path.exists(self.uri.split("#")[0]):
            raise ConfigurationError(f"configuration file {self.uri} not found (use -c FILE)")
        setup_logging(self.uri)
        if not self.verbose:
            for name in STARTUP_LOGGERS:
                logger = logging.getLogger(name)
                self._levels[name] = logger.level
                logger.setLevel(logging.WARNING)
        return load_settings(self.uri)

    @property
    def core(self) -> Core:
        if self._core is None:
            self._core = build_core(self.settings)
        return self._core

    def close(self) -> None:
        if self._core is not None:
            self._core.close()
        for name, level in self._levels.items():    # the process may go on (tests, embedding)
            logging.getLogger(name).setLevel(level)
