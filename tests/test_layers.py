"""The layers of the package hold: ``lint-imports`` keeps every contract of ``.importlinter``,
and no module gets around it with a string import (``importlib``/``__import__``)."""
from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import synnefo.core

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")
PACKAGE = ROOT / "synnefo"
# The plugin loader reads entry points (importlib.metadata); the testing helper that puts
# throw-away distributions on sys.path invalidates the import caches. Nothing else may.
STRING_IMPORTS_ALLOWED = {"synnefo/core/plugins.py", "synnefo/testing/distributions.py"}
STRING_IMPORT = re.compile(r"\bimportlib\b|\bimport_module\(|\b__import__\(")


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache", "--no-logo", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_every_import_contract_is_kept():
    result = lint_imports(CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails_the_run(tmp_path):
    """The check above can fail: the web package does import the core."""
    config = tmp_path / "broken.ini"
    config.write_text("[importlinter]\nroot_package = synnefo\n\n"
                      "[importlinter:contract:web-without-core]\nname = web without core\n"
                      "type = forbidden\nsource_modules = synnefo.web\n"
                      "forbidden_modules = synnefo.core\n")
    result = lint_imports(config)
    assert result.returncode != 0
    assert "synnefo.web is not allowed to import synnefo.core" in result.stdout


def test_the_pure_domain_contract_names_every_other_part_of_the_core():
    """A new module of ``synnefo.core`` is forbidden to the domain as soon as it exists."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    parser.read(CONFIG)
    forbidden = set(parser["importlinter:contract:pure-domain"]["forbidden_modules"].split())
    core_parts = {f"synnefo.core.{p.stem}" for p in Path(synnefo.core.__file__).parent.iterdir()
                  if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert core_parts - {"synnefo.core.domain"} <= forbidden


def test_no_string_imports_outside_the_plugin_loader():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in STRING_IMPORTS_ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STRING_IMPORT.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "string imports get around the layers:\n" + "\n".join(offenders)
