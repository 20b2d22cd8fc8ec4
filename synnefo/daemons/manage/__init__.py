"""snf-manage: the operator's command line (seed users, flavors, images, backends; migrate; ...).

Each command lives in its own module exposing ``register(subparsers)``; the module list below is
the whole command table. A command's function receives ``(args, ctx)`` where ``ctx`` lazily
builds the core from the .ini, and returns the process exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from synnefo.core.errors import SynnefoError
from synnefo.daemons.manage.context import CommandContext

COMMAND_MODULES = (
    "synnefo.daemons.manage.db",
    "synnefo.daemons.manage.users",
    "synnefo.daemons.manage.flavors",
    "synnefo.daemons.manage.images",
    "synnefo.daemons.manage.backends",
    "synnefo.daemons.manage.servers",
    "synnefo.daemons.manage.plugins",
    "synnefo.daemons.manage.queues",
    "synnefo.daemons.manage.reconcile",
    "synnefo.daemons.ganeti_hook_install",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snf-manage", description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", help="the .ini file (default: $SYNNEFO_CONFIG or "
                                                "/etc/synnefo/synnefo.ini)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print the start-up INFO lines (plugins loaded, migration "
                             "context)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    ctx = CommandContext(args.config, verbose=args.verbose)
    try:
        return args.func(args, ctx) or 0
    except SynnefoError as exc:
        print(f"snf-manage {args.command}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
