"""snf-manage reconcile: compare the database with Ganeti and repair what drifted.

Exit codes: 0 the database agrees with Ganeti (no drift, or every drift found was fixed);
1 drift remains (reported without its --fix-* flag, or a fix failed or was skipped);
3 a backend could not be listed (its servers were not checked); 2 usage or configuration error.
"""
from __future__ import annotations

import argparse
import contextlib
import sys

from synnefo.core.domain.drift import DriftKind
from synnefo.core.services.reconciliation import Reconciler, ReconcileOptions, Report
from synnefo.daemons.manage.output import print_json, print_table

PHASES = {"compare": "comparing servers", "fix": "applying fixes"}
COLUMNS = ["kind", "server_id", "instance", "backend", "db", "ganeti", "action", "message"]
FLAG = {DriftKind.STALE: "stale", DriftKind.ORPHAN: "orphans", DriftKind.UNSYNCED: "unsynced",
        DriftKind.STUCK: "stuck", DriftKind.NICS: "nics", DriftKind.FLAVOR: "flavors"}
FIX_HELP = {
    DriftKind.STALE: "mark servers missing in Ganeti deleted (ERROR if never built)",
    DriftKind.ORPHAN: "delete, in Ganeti, our instances that no live server accounts for",
    DriftKind.UNSYNCED: "set the run state Ganeti reports (running / admin-down / error-down)",
    DriftKind.STUCK: "apply the missing notification of jobs finished or gone in Ganeti",
    DriftKind.NICS: "replace the servers' NICs by Ganeti's",
    DriftKind.FLAVOR: "move servers to the flavor matching Ganeti's vCPUs and memory",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reconcile", help="compare the database with Ganeti and repair drift",
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", dest="all_servers",
                        help="check every live server now (default: the staggered batch)")
    parser.add_argument("--interval", type=_positive_int, default=1, metavar="MIN",
                        help="minutes between runs (cron), sizes the staggered batch (default 1)")
    for kind, text in FIX_HELP.items():
        parser.add_argument(f"--fix-{FLAG[kind]}", action="append_const", dest="fix",
                            const=kind, help=text)
    parser.add_argument("--fix-all", action="store_true", help="apply every kind of fix")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of minutes") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the interval must be at least one minute")
    return value


def options_from(args) -> ReconcileOptions:
    fix = frozenset(DriftKind) if args.fix_all else frozenset(args.fix or ())
    return ReconcileOptions(all_servers=args.all_servers, interval_min=args.interval, fix=fix)


def run(args, ctx, stdout=None, stderr=None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    with terminal_progress(stderr) as progress:
        report = Reconciler(ctx.core, progress=progress).run(options_from(args))
    if args.json:
        print_json(report.as_dict(), out=stdout)
    else:
        print_report(report, stdout)
    return report.exit_code


@contextlib.contextmanager
def terminal_progress(stream):
    """A progress bar on ``stream`` if it is a terminal; otherwise a callback that does nothing."""
    if not stream.isatty():
        yield lambda phase, done, total: None
        return
    from rich.console import Console
    from rich.progress import Progress
    tasks: dict[str, int] = {}
    with Progress(console=Console(file=stream), transient=True) as bar:
        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done)
        yield update


def print_report(report: Report, out) -> None:
    print_table([r.as_dict() for r in report.records], COLUMNS, out=out)
    print(file=out)
    summary = report.summary()
    print_table([{"kind": k, **v} for k, v in summary.items()], ["kind", "found", "fixed"], out=out)
    print(file=out)
    for backend in report.backends:
        state = f"error: {backend.error}" if backend.error else f"{backend.instances} instances"
        print(f"backend {backend.name}: {backend.servers_checked} servers checked, {state}, "
              f"{backend.calls} call(s)", file=out)
    print(f"{report.mode}: {report.servers_checked} of {report.servers_total} live servers "
          f"checked ({report.servers_selected} selected, {report.servers_in_flight} with a job "
          f"in flight left alone)", file=out)
    print(EXIT_TEXT[report.exit_code], file=out)


EXIT_TEXT = {0: "in sync", 1: "drift remains (see the fix flags)",
             3: "incomplete: a backend could not be listed"}
