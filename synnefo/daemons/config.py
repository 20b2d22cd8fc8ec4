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
    return parse_settings(raw, listen=server_listen(uri.split("#")[0]))


def server_listen(path: str) -> str | None:
    """``listen`` of the file's own ``[server:main]`` (what ``pserve FILE`` serves on)."""
    loader = plaster.get_loader(path, protocols=["wsgi"])
    if "server:main" not in loader.get_sections():
        return None
    return loader.get_settings("server:main").get("listen")


def app_section(path: str, section: str = "main") -> dict[str, str]:
    """The ``[app:<section>]`` keys, merged over those of its ``use = config:FILE#name`` parents.

    Done here rather than through PasteDeploy's appconfig, which would import the web app just
    to read settings (eventd and the Ganeti hook must not need Pyramid).
    """
    merged: dict[str, str] = {}
    for file_path, file_section in config_chain(path, section):
        raw = dict(plaster.get_settings(file_path, f"app:{file_section}"))
        raw.pop("use", None)
        merged.update(raw)
    return merged


def config_chain(path: str, section: str = "main") -> list[tuple[str, str]]:
    """The files an .ini inherits from through ``use = config:``, base first, itself last."""
    chain: list[tuple[str, str]] = []
    path = os.path.abspath(path)
    while True:
        if (path, section) in chain:
            raise ConfigurationError(f"{path}: 'use = config:' loops back to [app:{section}]")
        chain.append((path, section))
        parent = plaster.get_settings(path, f"app:{section}").get("use", "")
        if not parent.startswith("config:"):
            return chain[::-1]
        parent_path, _, parent_section = parent[len("config:"):].partition("#")
        path = os.path.abspath(os.path.join(os.path.dirname(path), parent_path))
        section = parent_section or "main"


def daemon_options(uri: str, name: str) -> dict[str, str]:
    """The raw keys of a daemon's own section, e.g. ``[synnefo:dispatcher]``, merged over the
    same section of the files the .ini inherits from (may be empty)."""
    merged: dict[str, str] = {}
    for file_path, _section in config_chain(uri.split("#")[0]):
        loader = plaster.get_loader(file_path, protocols=["wsgi"])
        if f"synnefo:{name}" in loader.get_sections():
            merged.update(loader.get_settings(f"synnefo:{name}"))
    merged.pop("here", None)
    merged.pop("__file__", None)
    return merged


def setup_logging(uri: str) -> None:
    """Logging from the .ini's [loggers] sections if it has them, else INFO to stderr."""
    path = uri.split("#")[0]
    if "loggers" in plaster.get_loader(path, protocols=["wsgi"]).get_sections():
        plaster.setup_logging(path)
        return
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
