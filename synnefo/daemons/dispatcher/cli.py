"""snf-dispatcher: apply Ganeti's notifications from the queues to the database."""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import time

from synnefo.core.errors import ConfigurationError
from synnefo.daemons.config import config_uri, daemon_options, load_settings, setup_logging
from synnefo.daemons.dispatcher.options import DispatcherOptions, parse_options

log = logging.getLogger("synnefo.daemons.dispatcher")
RESTART_DELAY = 5.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snf-dispatcher", description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", help="the .ini file (default: $SYNNEFO_CONFIG or "
                                                  "/etc/synnefo/synnefo.ini)")
    parser.add_argument("-w", "--workers", type=int, help="worker processes "
                        "(default: [synnefo:dispatcher] workers, else 2; 1 = no child processes)")
    return parser


def load_options(uri: str, workers: int | None) -> DispatcherOptions:
    return parse_options(daemon_options(uri, "dispatcher"), load_settings(uri), workers=workers)


def worker_main(uri: str) -> None:
    """Entry of one worker process (also used directly when there is one worker)."""
    from synnefo.core.app import build_core
    from synnefo.daemons.dispatcher.worker import run_worker
    setup_logging(uri)
    settings = load_settings(uri)
    core = build_core(settings)
    try:
        run_worker(core, load_options(uri, None))
    finally:
        core.close()


def supervise(uri: str, options: DispatcherOptions) -> int:
    """Run N worker processes; restart one that dies; forward SIGTERM/SIGINT to them."""
    ctx = multiprocessing.get_context("spawn")
    workers = {i: _start(ctx, uri, i) for i in range(options.workers)}
    started = {i: time.monotonic() for i in workers}
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda s, _f: stopping.append(s))
    while not stopping:
        time.sleep(0.5)
        for i, proc in list(workers.items()):
            # A worker that keeps dying (bad plugin, database gone) is restarted at most
            # every RESTART_DELAY seconds rather than in a tight loop.
            if proc.is_alive() or stopping or time.monotonic() - started[i] < RESTART_DELAY:
                continue
            log.error("dispatcher worker %d (pid %s) died with exit code %s; restarting it",
                      i, proc.pid, proc.exitcode)
            workers[i], started[i] = _start(ctx, uri, i), time.monotonic()
    return _stop_all(list(workers.values()), options.stop_timeout)


def _start(ctx, uri: str, index: int):
    proc = ctx.Process(target=worker_main, args=(uri,), name=f"snf-dispatcher-{index}")
    proc.start()
    log.info("started dispatcher worker %d (pid %d)", index, proc.pid)
    return proc


def _stop_all(procs, timeout: float) -> int:
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            log.error("dispatcher worker pid %d did not stop in %.0fs; killing it", proc.pid, timeout)
            proc.kill()
            proc.join()
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    uri = config_uri(args.config)
    if not os.path.exists(uri.split("#")[0]):
        print(f"snf-dispatcher: error: configuration file {uri} not found", file=sys.stderr)
        return 2
    setup_logging(uri)
    try:
        options = load_options(uri, args.workers)
    except (ConfigurationError, FileNotFoundError) as exc:
        print(f"snf-dispatcher: error: {exc}", file=sys.stderr)
        return 2
    if options.workers == 1:
        worker_main(uri)
        return 0
    return supervise(uri, options)
