"""Where forwardings may lead: resolve the destination once and check it against the networks.

The proxy connects to the address it checked (not the name again), so a DNS answer that
changes later cannot turn it into an open relay.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket

from synnefo.protocols.vncauthproxy import ControlError


async def allowed_address(host: str, port: int, networks) -> str:
    """The first address of ``host`` inside ``networks``; ControlError if there is none."""
    addresses = [host] if _is_ip(host) else await _resolve(host, port)
    for address in addresses:
        if is_allowed(address, networks):
            return address
    raise ControlError(f"destination {host} ({', '.join(dict.fromkeys(addresses))}) is not in "
                       "the allowed networks")


def _is_ip(host: str) -> bool:
    """True for an IP address (the usual case): it needs no resolver thread."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:  # gaierror; IDNA errors are ValueErrors
        raise ControlError(f"cannot resolve destination {host!r}: {exc}") from None
    return [info[4][0] for info in infos]


def is_allowed(address: str, networks) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in network for network in networks)
