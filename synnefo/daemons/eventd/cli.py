"""``snf-ganeti-eventd``: reads its .ini, then runs in the foreground (systemd) or as a daemon."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sqlite3
import sys
import threading

import plaster

from synnefo.core.domain.naming import InstanceNaming
from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import Settings
from synnefo.daemons import config as daemon_config
from synnefo.daemons.amqp_publisher import make_amqp_publisher
from synnefo.daemons.eventd.config import SECTION, EventdConfig, parse_eventd_config
from synnefo.daemons.eventd.daemon import Eventd
from synnefo.daemons.eventd.master import MasterCheck, Ssconf, this_node
from synnefo.daemons.eventd.state import EventdState
from synnefo.messaging.spool import Spool, SpoolingPublisher

log = logging.getLogger("synnefo.daemons.eventd")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_PATH_KEYS = ("queue_dir", "ssconf_dir", "state", "spool", "pid_file")


def load_config(uri: str) -> tuple[Settings, EventdConfig]:
    """``[app:main]`` settings and the ``[synnefo:eventd]`` knobs of one .ini; relative paths
    are taken relative to the .ini's directory, never to the current directory."""
    settings = daemon_config.load_settings(uri)
    raw = daemon_config.daemon_options(uri, SECTION)
    here = os.path.dirname(os.path.abspath(uri.split("#")[0]))
    for key in _PATH_KEYS:
        if raw.get(key, "").strip() and not os.path.isabs(raw[key].strip()):
            raw[key] = os.path.join(here, raw[key].strip())
    return settings, parse_eventd_config(raw)


def make_publisher(settings: Settings, config: EventdConfig, factory=None) -> SpoolingPublisher:
    """The spooling publisher; ``factory()`` builds the inner ``Publisher`` (tests inject one)."""
    inner = factory() if factory else make_amqp_publisher(
        settings, connect_timeout=config.connect_timeout,
        declare_topology=config.declare_topology)
    return SpoolingPublisher(inner, Spool(config.spool),
                             retry_interval=config.retry_interval)


def build_eventd(settings: Settings, config: EventdConfig, publisher_factory=None) -> Eventd:
    master = MasterCheck(Ssconf(config.ssconf_dir), this_node(config.node_name),
                         config.master_check_interval)
    return Eventd(config, make_publisher(settings, config, publisher_factory),
                  EventdState(config.state), master,
                  instance_filter=InstanceNaming(settings.instance_prefix).is_ours)


def run(settings: Settings, config: EventdConfig, stop: threading.Event,
        publisher_factory=None) -> int:
    """Build eventd and run it until ``stop``; the exit code."""
    try:
        eventd = build_eventd(settings, config, publisher_factory)
    except (OSError, sqlite3.Error) as exc:
        log.error("cannot open eventd's state %s or spool %s: %s", config.state, config.spool,
                  exc)
        return 1
    try:
        eventd.run(stop)
    except OSError as exc:
        log.error("cannot watch %s: %s", config.queue_dir, exc)
        return 1
    except Exception:  # noqa: BLE001 - the edge: log it; systemd restarts, the scan catches up
        log.exception("snf-ganeti-eventd stopped by an unexpected error")
        return 1
    finally:
        eventd.close()
    return 0


def setup_logging(uri: str) -> None:
    """The .ini's logging; without a ``[loggers]`` section, INFO to stderr (plaster's fallback
    would leave the root logger at WARNING and hide what the daemon does)."""
    daemon_config.setup_logging(uri)
    try:
        has_loggers = "loggers" in plaster.get_loader(uri, protocols=["wsgi"]).get_sections()
    except Exception:  # noqa: BLE001 - logging set-up must never stop the daemon
        has_loggers = False
    if not has_loggers:
        root = logging.getLogger()
        root.setLevel(logging.INFO)
        for handler in root.handlers:
            handler.setFormatter(logging.Formatter(LOG_FORMAT))


def _stop_on_signals(stop: threading.Event) -> dict:
    def handler(signum, _frame):
        log.info("signal %d received, stopping", signum)
        stop.set()
    return {signal.SIGTERM: handler, signal.SIGINT: handler}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snf-ganeti-eventd", description=__doc__)
    parser.add_argument("config", nargs="?", help="the .ini (default: $SYNNEFO_CONFIG or "
                        f"{daemon_config.DEFAULT_CONFIG})")
    parser.add_argument("-c", "--config", dest="config_option", help="same as CONFIG")
    parser.add_argument("-d", "--daemon", action="store_true",
                        help="detach and write a pid file (default: stay in the foreground)")
    parser.add_argument("--pid-file", help="override [synnefo:eventd] pid_file")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    uri = daemon_config.config_uri(args.config or args.config_option)
    try:
        settings, config = load_config(uri)
    except (ConfigurationError, OSError, LookupError) as exc:
        print(f"snf-ganeti-eventd: cannot load {uri}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    if args.daemon:
        return _run_daemonized(uri, settings, config, args.pid_file or config.pid_file, stop)
    setup_logging(uri)
    for signum, handler in _stop_on_signals(stop).items():
        signal.signal(signum, handler)
    return run(settings, config, stop)


def _run_daemonized(uri, settings, config, pid_file, stop) -> int:
    import daemon
    from daemon.pidfile import TimeoutPIDLockFile

    os.makedirs(os.path.dirname(os.path.abspath(pid_file)), exist_ok=True)
    running = _running_pid(pid_file)
    if running:
        print(f"snf-ganeti-eventd: already running as pid {running} ({pid_file})",
              file=sys.stderr)
        return 1
    context = daemon.DaemonContext(pidfile=TimeoutPIDLockFile(pid_file, 10), umask=0o022,
                                   signal_map=_stop_on_signals(stop))
    with context:
        setup_logging(uri)
        return run(settings, config, stop)


def _running_pid(pid_file: str) -> int | None:
    """The pid in ``pid_file`` if that process lives; a stale file (kill -9) is removed."""
    try:
        with open(pid_file, encoding="ascii") as fh:
            pid = int(fh.read().strip() or 0)
    except (OSError, ValueError):
        pid = 0
    if pid > 0:
        try:
            os.kill(pid, 0)
            return pid
        except ProcessLookupError:
            pass
        except PermissionError:
            return pid
    if os.path.exists(pid_file):
        os.unlink(pid_file)
    return None
