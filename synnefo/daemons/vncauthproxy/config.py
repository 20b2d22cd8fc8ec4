"""Options of snf-vncauthproxy: the ``[synnefo:vncauthproxy]`` section, environment, CLI flags.

Later sources win: .ini < ``SYNNEFO_VNCAUTHPROXY_<KEY>`` environment variables < command line.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Mapping

import colander

from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import WordList, env_name
from synnefo.protocols.vncauthproxy import HostPort

SECTION = "vncauthproxy"
DEFAULT_NETWORKS = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                    "fc00::/7")


class PortRange(colander.SchemaType):
    """``low-high`` -> (low, high), both inclusive."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        low, sep, high = str(cstruct).partition("-")
        if not (sep and low.strip().isdigit() and high.strip().isdigit()):
            raise colander.Invalid(node, f"{cstruct!r} is not a port range like 25000-30000")
        low, high = int(low), int(high)
        if not 1 <= low <= high <= 65535:
            raise colander.Invalid(node, f"{cstruct!r}: need 1 <= low <= high <= 65535")
        return low, high


def _networks(node, value):
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in value)
    except ValueError as exc:
        raise colander.Invalid(node, str(exc)) from None


class Networks(WordList):
    """CIDR list -> tuple of ip_network."""

    def deserialize(self, node, cstruct):
        words = super().deserialize(node, cstruct)
        return words if words is colander.null else _networks(node, words)


def _node(typ, name, default, validator=None):
    return colander.SchemaNode(typ, name=name, missing=default, validator=validator)


def _schema() -> colander.MappingSchema:
    s, f, i = colander.String, colander.Float, colander.Int
    positive = colander.Range(min=0.001)
    schema = colander.MappingSchema()
    for node in (
        _node(s(), "control_socket", ""),
        _node(HostPort(), "control_address", None),
        _node(s(), "control_secret", ""),
        _node(s(), "control_socket_mode", "0660", colander.Regex(r"^0?[0-7]{3}$")),
        _node(s(), "listen_address", "0.0.0.0"),
        _node(PortRange(), "port_range", (25000, 30000)),
        _node(f(), "expiry_seconds", 60.0, positive),
        _node(f(), "handshake_timeout", 30.0, positive),
        _node(f(), "connect_timeout", 10.0, positive),
        _node(Networks(), "allowed_networks", _networks(None, DEFAULT_NETWORKS)),
        _node(s(), "destination_password", ""),
        _node(i(), "max_auth_failures", 10, colander.Range(min=1)),
        _node(i(), "max_unauthenticated_per_forwarding", 4, colander.Range(min=1)),
        _node(i(), "max_unauthenticated", 256, colander.Range(min=1)),
        _node(HostPort(), "websocket_address", None),
        _node(WordList(), "websocket_origins", ()),
        _node(s(), "websocket_cert", ""),
        _node(s(), "websocket_key", ""),
    ):
        schema.add(node)
    return schema


KEYS = tuple(node.name for node in _schema().children)


@dataclass(frozen=True)
class ProxyConfig:
    control_socket: str
    control_address: tuple[str, int] | None
    control_secret: str
    control_socket_mode: str
    listen_address: str
    port_range: tuple[int, int]
    expiry_seconds: float
    handshake_timeout: float
    connect_timeout: float
    allowed_networks: tuple
    destination_password: str
    max_auth_failures: int
    max_unauthenticated_per_forwarding: int
    max_unauthenticated: int
    websocket_address: tuple[str, int] | None
    websocket_origins: tuple[str, ...]
    websocket_cert: str
    websocket_key: str

    @property
    def socket_mode(self) -> int:
        return int(self.control_socket_mode, 8)


def parse_config(raw: Mapping[str, str], environ: Mapping[str, str] | None = None,
                 overrides: Mapping[str, str] | None = None) -> ProxyConfig:
    """Validate the raw options (unknown keys such as ``here`` are ignored)."""
    environ = os.environ if environ is None else environ
    values = {k: v for k, v in raw.items() if k in KEYS}
    values.update({k: environ[env_name(f"{SECTION}.{k}")] for k in KEYS
                   if env_name(f"{SECTION}.{k}") in environ})
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        parsed = _schema().deserialize({k: str(v).strip() for k, v in values.items()})
    except colander.Invalid as exc:
        problems = "; ".join(f"{k}: {m}" for k, m in sorted(exc.asdict().items()))
        raise ConfigurationError(f"invalid [synnefo:{SECTION}] setting {problems}") from None
    return _checked(ProxyConfig(**parsed))


def _checked(config: ProxyConfig) -> ProxyConfig:
    if bool(config.control_socket) == bool(config.control_address):
        raise ConfigurationError(f"[synnefo:{SECTION}] needs exactly one of control_socket "
                                 "(UNIX socket path) or control_address (host:port)")
    if config.control_address and not config.control_secret:
        raise ConfigurationError(f"[synnefo:{SECTION}] control_address (TCP) needs "
                                 "control_secret (or SYNNEFO_VNCAUTHPROXY_CONTROL_SECRET)")
    if config.websocket_address and not config.websocket_origins:
        raise ConfigurationError(f"[synnefo:{SECTION}] websocket_address needs websocket_origins "
                                 "(the web pages allowed to open consoles, e.g. "
                                 "https://cloud.example.org)")
    if bool(config.websocket_cert) != bool(config.websocket_key):
        raise ConfigurationError(f"[synnefo:{SECTION}] set both websocket_cert and websocket_key "
                                 "(TLS), or neither")
    return config
