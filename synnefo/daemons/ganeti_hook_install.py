"""Install snf-ganeti-hook into Ganeti's hooks directory (``snf-manage ganeti-hooks install``).

A small executable wrapper is written into each ``instance-<op>-post.d`` directory. It pins
absolute paths (Ganeti runs hooks with a bare ``PATH``) and, when given, the ``.ini`` in
``SYNNEFO_CONFIG``. By default it starts this Python with ``-I -S`` (no ``site``: no scan of
site-packages, no ``.pth`` files, no editable-install finders, about 20 ms less in every Ganeti
job) with only the directory that holds the ``synnefo`` package on ``sys.path``; the hook needs
nothing else on its fast path, and adds site-packages itself when it needs the full loader.
With ``--hook-script`` the wrapper runs that script instead. Ganeti only runs files whose name
matches ``^[a-zA-Z0-9_-]+$`` and that are executable; anything else is silently skipped, so a
bad name is refused here.
"""
from __future__ import annotations

import os
import re
import shlex
import sys

import synnefo
from synnefo.core.errors import ConfigurationError
from synnefo.daemons.ganeti_hook import HOOK_PATHS

DEFAULT_HOOKS_DIR = "/etc/ganeti/hooks"
DEFAULT_LINK_NAME = "50-snf-ganeti-hook"
GANETI_HOOK_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
MARKER = "# installed by snf-manage ganeti-hooks install"
BOOTSTRAP = ("import sys; sys.path.append({root}); "
             "from synnefo.daemons.ganeti_hook import run_installed; run_installed()")


def hook_dirs(hooks_dir: str) -> list[str]:
    return [os.path.join(hooks_dir, f"{path}-post.d") for path in HOOK_PATHS]


def package_root() -> str:
    """The directory that holds the ``synnefo`` package (site-packages, or the source tree of
    an editable install)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(synnefo.__file__)))


def hook_command(python: str | None = None, root: str | None = None) -> list[str]:
    """The fast start of the hook: ``python -I -S`` with only ``root`` added to ``sys.path``
    (appended, so that nothing there shadows the standard library)."""
    return [python or sys.executable, "-I", "-S", "-c",
            BOOTSTRAP.format(root=_literal(root or package_root()))]


def _literal(text: str) -> str:
    """``repr(text)``, in double quotes when it can be, so the shell's single quotes stay
    readable (repr uses single quotes only when ``text`` has none: swapping them is safe)."""
    literal = repr(text)
    return f'"{literal[1:-1]}"' if literal[0] == "'" and '"' not in text else literal


def wrapper_text(hook_script: str | None, config: str | None) -> str:
    """The wrapper: ``hook_script`` if given, else ``hook_command()``."""
    env = f"SYNNEFO_CONFIG={shlex.quote(os.path.abspath(config))} " if config else ""
    command = shlex.quote(hook_script) if hook_script else shlex.join(hook_command())
    return f"#!/bin/sh\n{MARKER}\n{env}exec {command} \"$@\"\n"


def install(hooks_dir: str = DEFAULT_HOOKS_DIR, link_name: str = DEFAULT_LINK_NAME, *,
            hook_script: str | None = None, config: str | None = None,
            force: bool = False) -> list[str]:
    """Write the wrapper into every handled ``*-post.d`` dir; returns the paths written.

    Idempotent. A foreign file with the same name is kept unless ``force``."""
    if not GANETI_HOOK_NAME.match(link_name):
        raise ConfigurationError(f"hook name {link_name!r} would be ignored by Ganeti: it must "
                                 "match ^[a-zA-Z0-9_-]+$ (no dots)")
    text = wrapper_text(hook_script and os.path.abspath(hook_script), config)
    targets = [os.path.join(directory, link_name) for directory in hook_dirs(hooks_dir)]
    for target in targets:
        if not force and _is_foreign(target):
            raise ConfigurationError(f"{target} exists and was not installed by synnefo "
                                     "(use --force to replace it)")
    for target in targets:
        _write_executable(target, text)
    return targets


def uninstall(hooks_dir: str = DEFAULT_HOOKS_DIR, link_name: str = DEFAULT_LINK_NAME) -> list[str]:
    """Remove the wrappers this module installed; returns the paths removed."""
    removed = []
    for directory in hook_dirs(hooks_dir):
        target = os.path.join(directory, link_name)
        if os.path.lexists(target) and not _is_foreign(target):
            os.unlink(target)
            removed.append(target)
    return removed


def _is_foreign(path: str) -> bool:
    if not os.path.lexists(path):
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return MARKER not in fh.read(4096)
    except OSError:
        return True


def _write_executable(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temp = f"{path}.tmp{os.getpid()}"
    with open(temp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(temp, 0o755)
    os.replace(temp, path)


def register(subparsers) -> None:
    """``snf-manage ganeti-hooks install|uninstall`` (listed in ``manage.command_modules()``)."""
    parser = subparsers.add_parser("ganeti-hooks", help="install snf-ganeti-hook into Ganeti")
    actions = parser.add_subparsers(dest="hooks_action", required=True)
    add = actions.add_parser("install", help="write the hook into instance-*-post.d")
    add.add_argument("--hooks-dir", default=DEFAULT_HOOKS_DIR)
    add.add_argument("--name", default=DEFAULT_LINK_NAME)
    add.add_argument("--hook-script", help="run this script (e.g. snf-ganeti-hook) instead of "
                                           "starting this Python with -I -S (the default)")
    add.add_argument("--force", action="store_true", help="replace a foreign file")
    add.set_defaults(func=_install_command)
    remove = actions.add_parser("uninstall", help="remove the hook")
    remove.add_argument("--hooks-dir", default=DEFAULT_HOOKS_DIR)
    remove.add_argument("--name", default=DEFAULT_LINK_NAME)
    remove.set_defaults(func=_uninstall_command)


def _install_command(args, ctx) -> int:
    config = ctx.uri.split("#")[0] if os.path.exists(ctx.uri.split("#")[0]) else None
    for path in install(args.hooks_dir, args.name, hook_script=args.hook_script,
                        config=config, force=args.force):
        print(f"installed {path}")
    return 0


def _uninstall_command(args, ctx) -> int:
    for path in uninstall(args.hooks_dir, args.name):
        print(f"removed {path}")
    return 0
