"""snf-ganeti-hook: Ganeti post-hook that publishes ``ganeti-net-status`` for our instances.

Ganeti runs it (as root, ``PWD=/``) after instance add/start/reboot/modify/stop with the
``GANETI_*`` environment described in the Ganeti hooks documentation. It must never fail or
delay Ganeti, so it ALWAYS exits 0, and a hard alarm ends it within ``hook_time_limit``
seconds. The message goes to the durable spool first and is then sent; whatever the broker
does not confirm in time stays in the spool, which snf-ganeti-eventd replays.

Configuration: ``$SYNNEFO_CONFIG`` or ``/etc/synnefo/synnefo.ini`` (never the script's location):
``[app:main]`` for ``synnefo.amqp_url``/``synnefo.instance_prefix``, ``[synnefo:eventd]`` for
``spool``, ``node_name``, ``hook_time_limit`` and ``hook_connect_timeout``.
"""
from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import signal
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from synnefo.core import messages
from synnefo.core.contracts.bus import Message
from synnefo.core.domain.naming import InstanceNaming
from synnefo.core.errors import ConfigurationError
from synnefo.core.timeutil import utcnow
from synnefo.daemons.eventd.master import this_node

log = logging.getLogger("synnefo.daemons.ganeti_hook")

HOOK_PATHS = ("instance-add", "instance-start", "instance-reboot", "instance-modify",
              "instance-stop")
DEFAULT_TIME_LIMIT = 5.0
EXIT_CODE = 0  # whatever happens: a failing post-hook would only add noise to Ganeti's job log


class BadHookEnvironment(ValueError):
    """The GANETI_* environment is missing or contradicts itself."""


class HookTimeout(BaseException):
    """The time limit is up (BaseException so that no library's ``except Exception`` eats it)."""


@dataclass(frozen=True)
class Skip:
    """The hook has nothing to do, and why."""
    reason: str


# --- pure logic --------------------------------------------------------------------------

def decide(env: Mapping[str, str], node_name: str, naming: InstanceNaming) -> Message | Skip:
    """The message to publish for this hook run, or why there is none; raises
    BadHookEnvironment if the environment is unusable."""
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
    if not naming.is_ours(instance):
        return Skip(f"{instance} is not a Synnefo instance (prefix {naming.prefix})")
    return messages.net_status(instance, nics_from_env(env), utcnow(),
                               cluster=env.get("GANETI_CLUSTER") or None)


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
    try:
        network = ipaddress.IPv6Network(subnet6 or "", strict=False)
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

@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise HookTimeout after ``seconds``; if that is swallowed, exit 0 one second later."""
    def on_alarm(_signum, _frame):
        signal.signal(signal.SIGALRM, lambda *_: os._exit(EXIT_CODE))
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise HookTimeout(f"time limit of {seconds:.1f}s reached")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(env: Mapping[str, str], started: float, publisher_factory: Callable | None = None) -> None:
    """Load the configuration, decide, and publish through the spool (may raise anything)."""
    from synnefo.daemons.eventd.cli import load_config  # heavy imports only when acting

    uri = _config_uri(env)
    if not os.path.exists(uri.split("#")[0]):
        raise ConfigurationError(f"configuration file {uri} not found (set SYNNEFO_CONFIG)")
    settings, config = load_config(uri)
    signal.setitimer(signal.ITIMER_REAL, max(0.1, started + config.hook_time_limit
                                             - time.monotonic()))
    outcome = decide(env, this_node(config.node_name), InstanceNaming(settings.instance_prefix))
    if isinstance(outcome, Skip):
        log.info("nothing to do: %s", outcome.reason)
        return
    _publish(outcome, settings, config, started, publisher_factory)


def _publish(message: Message, settings, config, started: float, publisher_factory) -> None:
    from synnefo.daemons.eventd.cli import make_publisher

    factory = publisher_factory or (lambda: _hook_amqp_publisher(settings, config))
    publisher = make_publisher(settings, config, factory)
    # Spooled before the single attempt: Ganeti may end the hook at any moment, and what the
    # hook could not send within its time limit, eventd replays from the shared spool.
    try:
        # Leave a second for closing: past the deadline the message simply stays spooled.
        publisher.publish_durably(message, deadline=started + config.hook_time_limit - 1.0)
        left = publisher.pending
    finally:
        publisher.close()
    log.info("%s net status for %s (%d NIC(s))%s", "spooled" if left else "published",
             message.body["instance"], len(message.body["nics"]),
             f"; {left} message(s) wait in the spool" if left else "")


def _hook_amqp_publisher(settings, config):
    from synnefo.daemons.amqp_publisher import make_amqp_publisher
    return make_amqp_publisher(settings, connect_timeout=config.hook_connect_timeout,
                               confirm_timeout=config.hook_connect_timeout,
                               declare_topology=config.declare_topology)


def _config_uri(env: Mapping[str, str]) -> str:
    from synnefo.daemons.config import CONFIG_ENV, DEFAULT_CONFIG
    return env.get(CONFIG_ENV) or DEFAULT_CONFIG


def _setup_logging(env: Mapping[str, str]) -> None:
    from synnefo.daemons.eventd.cli import setup_logging
    uri = _config_uri(env)
    if os.path.exists(uri):
        setup_logging(uri)
    else:
        logging.basicConfig(level=logging.INFO)


def main(argv=None, environ: Mapping[str, str] | None = None,
         publisher_factory: Callable | None = None) -> int:
    """Console script entry point; returns 0 whatever happens (every failure is logged)."""
    env = dict(os.environ if environ is None else environ)
    started = time.monotonic()
    try:
        with time_limit(DEFAULT_TIME_LIMIT):
            _setup_logging(env)
            run(env, started, publisher_factory)
    except HookTimeout as exc:
        log.error("snf-ganeti-hook for %s stopped: %s", env.get("GANETI_INSTANCE_NAME"), exc)
    except BadHookEnvironment as exc:
        log.error("snf-ganeti-hook: bad Ganeti environment: %s", exc)
    except ConfigurationError as exc:
        log.error("snf-ganeti-hook: %s; nothing published for %s", exc,
                  env.get("GANETI_INSTANCE_NAME"))
    except Exception:  # noqa: BLE001 - the edge: a hook must never fail Ganeti's operation
        log.exception("snf-ganeti-hook failed for %s (%s %s)", env.get("GANETI_INSTANCE_NAME"),
                      env.get("GANETI_HOOKS_PATH"), env.get("GANETI_HOOKS_PHASE"))
    return EXIT_CODE
