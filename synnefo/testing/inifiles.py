"""Write a throw-away .ini for tests of commands and daemons."""
from __future__ import annotations

from pathlib import Path

LOGGING = """
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)s [%(name)s] %(message)s
"""


def write_ini(directory: Path, settings: dict[str, str], sections: dict[str, dict] | None = None,
              name: str = "test.ini", app_options: dict[str, str] | None = None) -> Path:
    """An .ini with ``[app:main]`` holding ``synnefo.<key> = value`` for each setting, and
    ``app_options`` (e.g. ``pyramid.includes``) as they are."""
    lines = ["[app:main]", "use = egg:synnefo"]
    lines += [f"synnefo.{key} = {value}" for key, value in settings.items()]
    lines += [f"{key} = {value}" for key, value in (app_options or {}).items()]
    for section, values in (sections or {}).items():
        lines += ["", f"[{section}]"] + [f"{k} = {v}" for k, v in values.items()]
    lines += ["", "[server:main]", "use = egg:waitress#main", "listen = 127.0.0.1:0"]
    path = directory / name
    path.write_text("\n".join(lines) + "\n" + LOGGING)
    return path
