"""Running snf-manage in-process for the tests of its commands."""
from __future__ import annotations

from synnefo.daemons.manage import main
from synnefo.testing.inifiles import write_ini


def migrated_ini(directory, settings: dict) -> str:
    """An .ini with these ``synnefo.*`` settings whose database is at the newest schema."""
    path = write_ini(directory, settings)
    assert main(["-c", str(path), "db", "upgrade"]) == 0
    return str(path)


def run(ini: str, *args: str, capsys) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``snf-manage -c INI ARGS...`` (earlier output dropped)."""
    capsys.readouterr()
    code = main(["-c", ini, *args])
    out = capsys.readouterr()
    return code, out.out, out.err
