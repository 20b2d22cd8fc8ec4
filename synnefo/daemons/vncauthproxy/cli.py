"""``snf-vncauthproxy [<ini>] [--option value ...]``: run the VNC proxy until SIGTERM/SIGINT."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from synnefo.core.errors import ConfigurationError
from synnefo.daemons import config as ini
from synnefo.daemons.vncauthproxy.config import KEYS, SECTION, ProxyConfig, parse_config
from synnefo.daemons.vncauthproxy.daemon import ProxyDaemon, serve
from synnefo.daemons.vncauthproxy.limits import raise_nofile_limit

log = logging.getLogger("synnefo.daemons.vncauthproxy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snf-vncauthproxy",
        description="VNC authentication proxy: one-time-password forwardings to VNC servers. "
                    f"Options come from the [synnefo:{SECTION}] section of the .ini; the flags "
                    "below override them.")
    parser.add_argument("config_file", nargs="?", metavar="config",
                        help=f"the .ini (default: ${ini.CONFIG_ENV}, else {ini.DEFAULT_CONFIG} "
                        "if it exists, else the flags alone)")
    parser.add_argument("-c", "--config", help="the .ini, as an option")
    for key in KEYS:
        parser.add_argument("--" + key.replace("_", "-"), dest=key, metavar="VALUE",
                            help=f"overrides {key}")
    return parser


def load(args: argparse.Namespace) -> ProxyConfig:
    uri = args.config or args.config_file or os.environ.get(ini.CONFIG_ENV)
    if uri is None and os.path.exists(ini.DEFAULT_CONFIG):
        uri = ini.DEFAULT_CONFIG
    if uri:
        ini.setup_logging(uri)
    else:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    raw = ini.daemon_options(uri, SECTION) if uri else {}
    return parse_config(raw, overrides={k: getattr(args, k) for k in KEYS})


async def _run(config: ProxyConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(ProxyDaemon(config), stop)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load(args)
        log.info("RLIMIT_NOFILE %d", raise_nofile_limit())
        asyncio.run(_run(config))
    except ConfigurationError as exc:
        print(f"snf-vncauthproxy: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0
