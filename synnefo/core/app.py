"""``build_core(settings)`` builds everything a process needs from its settings.

Every collaborator comes from the plugin loader (``synnefo.core.plugins``), including the bus
publisher (``synnefo.publishers``), so the core names no outer package; the processes' own
composition roots (the paste app factories, the daemons' ``main``) call ``build_core``.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

import pluggy
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from synnefo.core import plugins
from synnefo.core.contracts import (
    BackendDriver, BackendInfo, ConsoleProxy, MessageHandler, Publisher,
)
from synnefo.core.credentials import resolve_password
from synnefo.core.db.engine import make_engine, reading_engine
from synnefo.core.domain.naming import InstanceNaming
from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings
from synnefo.core.uow import ReadOnlySession, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Core:
    settings: Settings
    engine: sa.Engine
    session_factory: sessionmaker
    plugin_manager: pluggy.PluginManager
    hooks: plugins.Hooks
    naming: InstanceNaming
    driver_classes: dict[str, type[BackendDriver]]
    console_proxy: ConsoleProxy
    handlers: dict[str, MessageHandler]
    publisher_factory: Callable[["Core"], Publisher] | None = None
    read_session_factory: sessionmaker | None = None
    _drivers: dict[int, BackendDriver] = field(default_factory=dict)
    _publisher: Publisher | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def uow(self, read_only: bool = False) -> UnitOfWork:
        """A unit of work; ``read_only`` ones may not write (``ReadOnlySession``) and run
        without a transaction where the database allows it (``reading_engine``)."""
        if read_only and self.read_session_factory is not None:
            return UnitOfWork(self.read_session_factory)
        return UnitOfWork(self.session_factory)

    def driver_for(self, backend) -> BackendDriver:
        """The driver of a ``Backend`` row (one instance per backend per process)."""
        with self._lock:
            if backend.id not in self._drivers:
                self._drivers[backend.id] = self._make_driver(backend)
            return self._drivers[backend.id]

    def _make_driver(self, backend) -> BackendDriver:
        if backend.driver not in self.driver_classes:
            raise ConfigurationError(
                f"backend {backend.name!r} uses driver {backend.driver!r}, which is not enabled "
                f"(synnefo.backend_drivers = {' '.join(self.driver_classes)})")
        info = BackendInfo(id=backend.id, name=backend.name, driver=backend.driver,
                           rapi_url=backend.rapi_url, username=backend.username,
                           password=resolve_password(backend.credentials_ref, self.settings),
                           options=dict(backend.options or {}))
        return self.driver_classes[backend.driver](backend=info, core=self)

    @property
    def publisher(self) -> Publisher:
        """The bus publisher, created on first use (the web process may never need it)."""
        with self._lock:
            if self._publisher is None:
                if self.publisher_factory is None:
                    raise ConfigurationError("this core was built without a bus publisher")
                self._publisher = self.publisher_factory(self)
            return self._publisher

    def set_publisher(self, publisher: Publisher) -> None:
        self._publisher = publisher

    def close(self) -> None:
        for driver in self._drivers.values():
            driver.close()
        if self._publisher is not None:
            self._publisher.close()
        self.engine.dispose()


def build_core(settings: Settings, *, extra_hook_plugins=()) -> Core:
    """Build the core of one process from its settings; fails loud on any bad plugin.

    The publisher factory is the ``synnefo.publishers`` plugin named by ``synnefo.publisher``
    (loaded now, so a bad name stops start-up; called on first use).
    """
    engine = make_engine(settings.db_url, here=settings.here, echo=settings.db_echo)
    pm = plugins.build_plugin_manager(settings.hooks, extra_hook_plugins, settings=settings)
    driver_classes = plugins.load_plugins(plugins.GROUPS["backend_drivers"], settings.backend_drivers)
    proxy_cls = plugins.load_plugins(plugins.GROUPS["console_proxies"], [settings.console_proxy])
    handler_classes = plugins.load_plugins(plugins.GROUPS["message_handlers"],
                                           settings.message_handlers)
    core = Core(settings=settings, engine=engine,
                session_factory=sessionmaker(engine, expire_on_commit=False),
                read_session_factory=sessionmaker(reading_engine(engine), class_=ReadOnlySession,
                                                  expire_on_commit=False),
                plugin_manager=pm, hooks=plugins.Hooks(pm),
                naming=InstanceNaming(settings.instance_prefix),
                driver_classes=driver_classes, console_proxy=None, handlers={},
                publisher_factory=_publisher_factory(settings))
    core.console_proxy = proxy_cls[settings.console_proxy](core=core)
    core.handlers = {name: cls(core=core) for name, cls in handler_classes.items()}
    _log_active_plugins(settings)
    return core


def _publisher_factory(settings: Settings) -> Callable[[Core], Publisher]:
    group = plugins.GROUPS["publishers"]
    return plugins.load_plugins(group, [settings.publisher])[settings.publisher]


def _log_active_plugins(settings: Settings) -> None:
    for key, names in plugins.enabled_names(settings).items():
        for info in plugins.installed(plugins.GROUPS[key]):
            if info.name in names:
                log.info("plugin %s %s from %s %s", plugins.GROUPS[key], info.name,
                         info.distribution, info.version)
