"""snf-ganeti-hook: Ganeti post-hook that publishes ``ganeti-net-status`` for our instances.

Ganeti runs it (as root, ``PWD=/``) after instance add/start/reboot/modify/stop with the
``GANETI_*`` environment described in the Ganeti hooks documentation. It must never fail or
delay Ganeti, so it ALWAYS exits 0, and a hard alarm ends it within ``hook_time_limit``
seconds. Its start-up time is added to every Ganeti job, so it does the least it can: it
writes the message into the durable spool and exits; snf-ganeti-eventd, which flushes the
spool on every turn of its loop (0.5 s), sends it to the broker. It imports neither kombu, the
core nor ``logging`` (only to report a failure), and the installed wrapper starts Python with
``-I -S`` and calls ``run_installed`` (``ganeti_hook_install``; ``benchmarks/hook.py`` measures
it).

Configuration: ``$SYNNEFO_CONFIG`` or ``/etc/synnefo/synnefo.ini`` (never the script's location):
``[app:main]`` for ``synnefo.instance_prefix``, ``[synnefo:eventd]`` for ``spool``,
``node_name`` and ``hook_time_limit`` (read by ``hook_config``; the full loader decides when
that one is unsure).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
from collections import namedtuple
from collections.abc import Mapping

# Only standard-library modules the hook cannot do without, and synnefo modules that import
# nothing more: every import is paid for in every Ganeti job (the installed wrapper's test
# checks sys.modules). logging is imported only to report a failure, ipaddress only for an
# IPv6 subnet, socket only without a configured node_name.
from synnefo.core.domain import instance_names
from synnefo.core.errors import ConfigurationError
from synnefo.core.timeutil import utcnow
from synnefo.daemons import hook_config
from synnefo.messaging.spool_store import Spool

LOGGER = "synnefo.daemons.ganeti_hook"
CONFIG_ENV, DEFAULT_CONFIG = "SYNNEFO_CONFIG", "/etc/synnefo/synnefo.ini"  # as daemons.config
HOOK_PATHS = ("instance-add", "instance-start", "instance-reboot", "instance-modify",
              "instance-stop")
DEFAULT_TIME_LIMIT = 5.0
EXIT_CODE = 0  # whatever happens: a failing post-hook would only add noise to Ganeti's job log


class BadHookEnvironment(ValueError):
    """The GANETI_* environment is missing or contradicts itself."""


class HookTimeout(BaseException):
    """The time limit is up (BaseException so that no library's ``except Exception`` eats it)."""


class Skip(namedtuple("Skip", "reason")):
    """The hook has nothing to do, and why."""
    __slots__ = ()


class NetStatus(namedtuple("NetStatus", "routing_key body exchange headers")):
    """The ``ganeti-net-status`` message, as ``synnefo.core.messages.net_status`` builds it
    (the same attributes as a ``Message``; built here without importing the core, and tested
    equal to it). A named tuple, not a dataclass: ``dataclasses`` costs milliseconds to import."""
    __slots__ = ()


def net_status(instance: str, nics: list[dict], now: dt.datetime,
               cluster: str | None) -> NetStatus:
    body = {"type": "ganeti-net-status", "instance": instance, "nics": nics,
            "event_time": [int(now.timestamp()), now.microsecond], "cluster": cluster}
    return NetStatus(f"ganeti.{instance.split('-', 1)[0]}.event.net", body, "ganeti", {})


# --- pure logic --------------------------------------------------------------------------

def decide(env: Mapping[str, str], node_name: str, prefix: str) -> NetStatus | Skip:
    """The message to publish for this hook run (our instances: ``prefix`` and a server id),
    or why there is none; raises BadHookEnvironment if the environment is unusable."""
    phase, path = env.get("GANETI_HOOKS_PHASE"), env.get("GANETI_HOOKS_PATH")
    if not phase or not path:
        raise BadHookEnvironment("GANETI_HOOKS_PHASE or GANETI_HOOKS_PATH is missing")
    if phase != "post":
        return Skip(f"{path} phase {phase}: only the post phase is handled")
    if path not in HOOK_PATHS:
        return Skip(f"hooks path {path} is not handled")
    instance = env.get("GANETI_INSTANCE_NAME")
    if not instance:
        raise BadHookEnvironment(f"{path}: GANETI_INSTANCE_NAME is missing")
    if not _same_host(env.get("GANETI_MASTER", ""), node_name):
        return Skip(f"{instance}: node {node_name} is not the master "
                    f"({env.get('GANETI_MASTER')})")
    if instance_names.server_id(prefix, instance) is None:
        return Skip(f"{instance} is not a Synnefo instance (prefix {prefix})")
    return net_status(instance, nics_from_env(env), utcnow(), env.get("GANETI_CLUSTER") or None)


def nics_from_env(env: Mapping[str, str]) -> list[dict]:
    """``GANETI_[POST_]INSTANCE_NIC<n>_*`` -> one dict per NIC, ordered by index. In the post
    phase the ``GANETI_POST_`` copy (the state after the operation) wins."""
    prefix = "GANETI_POST_INSTANCE_" if "GANETI_POST_INSTANCE_NAME" in env else "GANETI_INSTANCE_"
    count = _nic_count(env, prefix)
    return [_nic(env, f"{prefix}NIC{index}_", index) for index in range(count)]


def _nic_count(env: Mapping[str, str], prefix: str) -> int:
    raw = env.get(f"{prefix}NIC_COUNT", "")
    if not raw.isdigit():
        raise BadHookEnvironment(f"{prefix}NIC_COUNT is {raw!r}, not a number")
    return int(raw)


def _nic(env: Mapping[str, str], prefix: str, index: int) -> dict:
    mac = env.get(f"{prefix}MAC")
    if not mac:
        raise BadHookEnvironment(f"{prefix}MAC is missing although NIC_COUNT covers NIC {index}")
    return {"index": index, "mac": mac, "ip": env.get(f"{prefix}IP") or None,
            "ipv6": eui64(env.get(f"{prefix}NETWORK_SUBNET6"), mac),
            "link": env.get(f"{prefix}LINK") or env.get(f"{prefix}BRIDGE") or None,
            "network": env.get(f"{prefix}NETWORK_NAME") or None}


def eui64(subnet6: str | None, mac: str) -> str | None:
    """The SLAAC (EUI-64) address of ``mac`` in an IPv6 subnet of /64 or larger, else None."""
    if not subnet6:
        return None
    import ipaddress  # only here: most clusters have no IPv6 subnets
    try:
        network = ipaddress.IPv6Network(subnet6, strict=False)
        octets = [int(part, 16) for part in mac.split(":")]
    except ValueError:
        return None
    if network.prefixlen > 64 or len(octets) != 6:
        return None
    eui = bytes([octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]])
    return str(network.network_address + int.from_bytes(eui, "big"))


def _same_host(a: str, b: str) -> bool:
    return a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower() != ""


# --- plumbing ----------------------------------------------------------------------------

class time_limit:
    """Raise HookTimeout after ``seconds``; if that is swallowed, exit 0 one second later.
    (A class rather than ``contextlib.contextmanager``: one import less at start-up.)"""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._previous = None

    def _on_alarm(self, _signum, _frame):
        signal.signal(signal.SIGALRM, lambda *_: os._exit(EXIT_CODE))
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise HookTimeout(f"time limit of {self.seconds:.1f}s reached")

    def __enter__(self):
        self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *_exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)
        return False


def run(env: Mapping[str, str], started: float) -> None:
    """Load the configuration, decide, and spool the message (may raise anything)."""
    uri = _config_uri(env)
    path = uri.split("#")[0]
    if not os.path.exists(path):
        raise ConfigurationError(f"configuration file {uri} not found (set SYNNEFO_CONFIG)")
    config = hook_config.read(path, env) or _full_config(uri)
    signal.setitimer(signal.ITIMER_REAL, max(0.1, started + config.hook_time_limit
                                             - time.monotonic()))
    outcome = decide(env, _node_name(config.node_name), config.instance_prefix)
    if isinstance(outcome, Skip):
        _say(f"nothing to do: {outcome.reason}")
        return
    spool = Spool(config.spool)
    try:
        spool_id = spool.append(outcome)
    finally:
        spool.close()
    _say(f"spooled net status for {outcome.body['instance']} ({len(outcome.body['nics'])} "
         f"NIC(s)) as {spool_id} in {config.spool}; snf-ganeti-eventd sends it")


def _say(line: str) -> None:
    """What the hook did, on stderr (where Ganeti keeps a post-hook's output only if it
    fails). Not through logging: importing it would cost every Ganeti job; failures use it."""
    sys.stderr.write(f"snf-ganeti-hook: {line}\n")
    sys.stderr.flush()


def _node_name(configured: str) -> str:
    if configured:
        return configured
    from synnefo.daemons.eventd.master import this_node  # imports socket: only when needed
    return this_node()


def _full_config(uri: str) -> hook_config.HookConfig:
    """The full loader: slower, and the one that explains what is wrong with the file."""
    _site_packages()
    from synnefo.daemons.eventd.cli import load_config
    settings, config = load_config(uri)
    return hook_config.HookConfig(instance_prefix=settings.instance_prefix, spool=config.spool,
                                  node_name=config.node_name,
                                  hook_time_limit=config.hook_time_limit)


def _site_packages() -> None:
    """Run ``site`` if the interpreter skipped it (``-S``, as the installed wrapper starts
    it): the full loader and logging handlers may need third-party packages."""
    if sys.flags.no_site and "site" not in sys.modules:
        import site
        site.main()


def _config_uri(env: Mapping[str, str]) -> str:
    return env.get(CONFIG_ENV) or DEFAULT_CONFIG


def _logger(env: Mapping[str, str]):
    """The hook's logger, configured from the .ini's ``[loggers]`` if it has them (read like
    plaster does), else INFO to stderr. Only failures are logged, so only they pay for it."""
    import logging
    path = _config_uri(env).split("#")[0]
    if os.path.exists(path) and _has_loggers(path):
        _site_packages()
        from logging.config import fileConfig
        try:
            fileConfig(path, {"here": os.path.dirname(os.path.abspath(path)),
                              "__file__": os.path.abspath(path)}, disable_existing_loggers=False)
            return logging.getLogger(LOGGER)
        except Exception:  # noqa: BLE001 - a broken [loggers] must not hide the hook's error
            _basic_logging().exception("snf-ganeti-hook: cannot use the [loggers] of %s", path)
    return _basic_logging()


def _basic_logging():
    import logging
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return logging.getLogger(LOGGER)


def _has_loggers(path: str) -> bool:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return any(line.strip() == "[loggers]" for line in handle)


def main(argv=None, environ: Mapping[str, str] | None = None) -> int:
    """Console script entry point; returns 0 whatever happens (every failure is logged)."""
    env = dict(os.environ if environ is None else environ)
    started = time.monotonic()
    try:
        with time_limit(DEFAULT_TIME_LIMIT):
            run(env, started)
    except HookTimeout as exc:
        _logger(env).error("snf-ganeti-hook for %s stopped: %s", env.get("GANETI_INSTANCE_NAME"),
                           exc)
    except BadHookEnvironment as exc:
        _logger(env).error("snf-ganeti-hook: bad Ganeti environment: %s", exc)
    except ConfigurationError as exc:
        _logger(env).error("snf-ganeti-hook: %s; nothing published for %s", exc,
                           env.get("GANETI_INSTANCE_NAME"))
    except Exception:  # noqa: BLE001 - the edge: a hook must never fail Ganeti's operation
        _logger(env).exception("snf-ganeti-hook failed for %s (%s %s)",
                               env.get("GANETI_INSTANCE_NAME"), env.get("GANETI_HOOKS_PATH"),
                               env.get("GANETI_HOOKS_PHASE"))
    return EXIT_CODE


def run_installed() -> None:
    """What the installed wrapper runs: ``main()``, then exit without the interpreter's
    teardown (freeing every module and object: about 3 ms, a tenth of the hook's run),
    unless a failure was logged: then exit normally, so that ``logging.shutdown`` flushes
    the handlers."""
    code = main()
    if "logging" in sys.modules:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
