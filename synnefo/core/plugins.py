"""Plugin loading: stevedore for drivers and handler tables, pluggy for hooks. Fail loud."""
from __future__ import annotations

import importlib.metadata as md
import inspect
import logging
from dataclasses import dataclass

import pluggy
from stevedore import ExtensionManager, NamedExtensionManager

from synnefo.core import hookspecs
from synnefo.core.errors import PluginError

log = logging.getLogger(__name__)

GROUPS = {
    "backend_drivers": "synnefo.backend_drivers",
    "console_proxies": "synnefo.console_proxies",
    "publishers": "synnefo.publishers",
    "message_handlers": "synnefo.message_handlers",
    "hooks": "synnefo.hooks",
}


@dataclass(frozen=True)
class PluginInfo:
    group: str
    name: str
    value: str
    distribution: str
    version: str


def enabled_names(settings) -> dict[str, tuple[str, ...]]:
    """The plugin names the ``.ini`` enables, per key of ``GROUPS``."""
    return {"backend_drivers": settings.backend_drivers,
            "console_proxies": (settings.console_proxy,),
            "publishers": (settings.publisher,),
            "message_handlers": settings.message_handlers,
            "hooks": settings.hooks}


def installed(group: str) -> list[PluginInfo]:
    """Every entry point of a group, with its distribution."""
    return sorted((_info(group, ep) for ep in md.entry_points(group=group)),
                  key=lambda p: (p.name, p.distribution))


def _info(group: str, ep) -> PluginInfo:
    dist = getattr(ep, "dist", None)
    return PluginInfo(group, ep.name, ep.value, dist.name if dist else "?",
                      dist.version if dist else "?")


def _entry_points_by_name(group: str) -> dict[str, object]:
    found: dict[str, object] = {}
    for ep in md.entry_points(group=group):
        if ep.name in found and found[ep.name].value != ep.value:
            first, second = _info(group, found[ep.name]), _info(group, ep)
            raise PluginError(
                f"duplicate plugin name {ep.name!r} in {group}: {first.value} "
                f"({first.distribution}) and {second.value} ({second.distribution})")
        found.setdefault(ep.name, ep)
    return found


def load_plugins(group: str, names) -> dict[str, object]:
    """Load the named plugins of a group (in order) -> {name: loaded object}."""
    available = _entry_points_by_name(group)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise PluginError(f"unknown plugin {', '.join(map(repr, unknown))} in {group}; "
                          f"installed: {', '.join(sorted(available)) or 'none'}")
    manager = _stevedore_load(group, names, available)
    return {ext.name: ext.plugin for ext in manager}


def _stevedore_load(group: str, names, available) -> ExtensionManager:
    def on_failure(_manager, ep, exc):
        info = _info(group, available.get(ep.name, ep))
        raise PluginError(f"plugin {ep.name!r} ({info.value}) from {info.distribution} "
                          f"failed to load: {exc.__class__.__name__}: {exc}") from exc

    def on_missing(missing):
        raise PluginError(f"plugin {', '.join(map(repr, missing))} not found in {group}")

    return NamedExtensionManager(group, names=list(names), name_order=True,
                                 on_load_failure_callback=on_failure,
                                 on_missing_entrypoints_callback=on_missing,
                                 propagate_map_exceptions=True)


def build_plugin_manager(hook_names, extra_plugins=(), *, settings=None) -> pluggy.PluginManager:
    """A pluggy manager with our hookspecs and the enabled ``synnefo.hooks`` plugins.

    An entry point may name a module (its ``@hookimpl`` functions are registered) or a class,
    which is instantiated as ``cls(settings=settings)`` so that it can parse its own options
    with ``parse_section``; its ``@hookimpl`` methods are then registered.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    group = GROUPS["hooks"]
    for name, plugin in load_plugins(group, hook_names).items():
        _register(pm, _instantiate(plugin, name, settings), name, group)
    for name, plugin in extra_plugins:
        _register(pm, plugin, name, group)
    return pm


def _instantiate(plugin, name: str, settings):
    if not inspect.isclass(plugin):
        return plugin
    if settings is None:
        raise PluginError(f"hook plugin {name!r} is a class and needs settings to be built")
    return plugin(settings=settings)


def _register(pm: pluggy.PluginManager, plugin, name: str, group: str) -> None:
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        dist = next((p.distribution for p in installed(group) if p.name == name), "?")
        raise PluginError(f"hook plugin {name!r} from {dist} is invalid: {exc}") from exc


class Hooks:
    """The one typed facade through which the core calls hooks (keyword arguments only)."""

    def __init__(self, pm: pluggy.PluginManager):
        self._pm = pm
        self.failures = 0

    def select_backend(self, *, backends, flavor, owner):
        return self._pm.hook.select_backend(backends=backends, flavor=flavor, owner=owner)

    def before_server_create(self, *, uow, owner, flavor, image, name) -> None:
        self._pm.hook.before_server_create(uow=uow, owner=owner, flavor=flavor, image=image,
                                           name=name)

    def before_server_action(self, *, uow, server, action) -> None:
        self._pm.hook.before_server_action(uow=uow, server=server, action=action)

    def vm_state_changed(self, *, event) -> None:
        self._notify("vm_state_changed", event)

    def backend_job_finished(self, *, event) -> None:
        self._notify("backend_job_finished", event)

    def _notify(self, hook_name: str, event) -> None:
        for impl in getattr(self._pm.hook, hook_name).get_hookimpls():
            try:
                impl.function(event=event)
            except Exception:
                self.failures += 1
                log.exception("hook %s of plugin %s failed for %r", hook_name, impl.plugin_name, event)
