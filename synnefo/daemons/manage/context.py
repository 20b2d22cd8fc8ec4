"""What every snf-manage command may need, built only on first use."""
from __future__ import annotations

import functools
import os

from synnefo.core.app import Core, build_core
from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings
from synnefo.daemons.config import config_uri, load_settings, setup_logging


class CommandContext:
    def __init__(self, config: str | None):
        self.uri = config_uri(config)
        self._core: Core | None = None

    @functools.cached_property
    def settings(self) -> Settings:
        if not os.path.exists(self.uri.split("#")[0]):
            raise ConfigurationError(f"configuration file {self.uri} not found (use -c FILE)")
        setup_logging(self.uri)
        return load_settings(self.uri)

    @property
    def core(self) -> Core:
        if self._core is None:
            self._core = build_core(self.settings)
        return self._core

    def close(self) -> None:
        if self._core is not None:
            self._core.close()
