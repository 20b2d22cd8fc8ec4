"""Reading the one .ini every process shares (PasteDeploy via plaster, so ``use = config:`` works)."""
from __future__ import annotations

import logging
import os

import plaster

from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings, parse_settings

DEFAULT_CONFIG = "/etc/synnefo/synnefo.ini"
CONFIG_ENV = "SYNNEFO_CONFIG"


def config_uri(given: str | None) -> str:
    """The .ini to use: the argument, else $SYNNEFO_CONFIG, else /etc/synnefo/synnefo.ini."""
    return given or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG


def load_settings(uri: str, section: str = "main") -> Settings:
    """Parse the synnefo.* keys of the app section (``[app:main]``), following PasteDeploy's
    ``use = config:`` inheritance."""
    raw = app_section(uri.split("#")[0], section)
    raw["here"] = os.path.dirname(os.path.abspath(uri.split("#")[0]))
    return parse_settings(raw)


def app_section(path: str, section: str = "main", _seen=()) -> dict[str, str]:
    """The ``[app:<section>]`` keys, merged over those of its ``use = config:FILE#name`` parent.

    Done here rather than through PasteDeploy's appconfig, which would import the web app just
    to read settings (eventd and the Ganeti hook must not need Pyramid).
    """
    path = os.path.abspath(path)
    if (path, section) in _seen:
        raise ConfigurationError(f"{path}: 'use = config:' loops back to [app:{section}]")
    raw = dict(plaster.get_settings(path, f"app:{section}"))
    parent = raw.pop("use", "")
    if parent.startswith("config:"):
        parent_path, _, parent_section = parent[len("config:"):].partition("#")
        parent_path = os.path.join(os.path.dirname(path), parent_path)
        merged = app_section(parent_path, parent_section or "main", _seen + ((path, section),))
        merged.update(raw)
        return merged
    return raw


def daemon_options(uri: str, name: str) -> dict[str, str]:
    """The raw keys of a daemon's own section, e.g. ``[synnefo:dispatcher]`` (may be empty)."""
    loader = plaster.get_loader(uri, protocols=["wsgi"])
    if f"synnefo:{name}" not in loader.get_sections():
        return {}
    return dict(loader.get_settings(f"synnefo:{name}"))


def setup_logging(uri: str) -> None:
    """Logging from the .ini if it has a [loggers] section, else INFO to stderr."""
    try:
        plaster.setup_logging(uri)
    except Exception:  # noqa: BLE001 - a missing logging section must not stop a daemon
        logging.basicConfig(level=logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
