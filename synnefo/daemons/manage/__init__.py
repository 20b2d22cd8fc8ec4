"""snf-manage: the operator's command line (seed users, flavors, images, backends; migrate; ...).

Each command lives in its own module exposing ``register(subparsers)``; ``command_modules()`` is
the whole command table. A command's function receives ``(args, ctx)`` where ``ctx`` lazily
builds the core from the .ini, and returns the process exit code.
"""
from __future__ import annotations

import argparse
import sys

from synnefo.core.errors import SynnefoError
from synnefo.daemons.manage.context import CommandContext


def command_modules() -> tuple:
    """The whole command table, in ``--help`` order (imported here, not at import time)."""
    from synnefo.daemons import ganeti_hook_install
    from synnefo.daemons.manage import (
        backends, db, flavors, images, plugins, queues, reconcile, servers, users,
    )
    return (db, users, flavors, images, backends, servers, plugins, queues, reconcile,
            ganeti_hook_install)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snf-manage", description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", help="the .ini file (default: $SYNNEFO_CONFIG or "
                                                "/etc/synnefo/synnefo.ini)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules():
        module.register(subparsers)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    ctx = CommandContext(args.config)
    try:
        return args.func(args, ctx) or 0
    except SynnefoError as exc:
        print(f"snf-manage {args.command}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
