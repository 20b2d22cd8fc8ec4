"""Opening a kombu connection to the configured broker (RabbitMQ or the embedded one)."""
from __future__ import annotations

import kombu

from synnefo.core.db.engine import normalize_url
from synnefo.core.settings import Settings

EMBEDDED_SCHEMES = ("sqla+", "sqlalchemy+")


def is_embedded(url: str) -> bool:
    return url.startswith(EMBEDDED_SCHEMES)


def one_pass(connection: kombu.Connection) -> int:
    """``max_retries`` for ``ensure_connection`` that tries each fail-over URL once."""
    return max(len(connection.alt or ()) - 1, 0)


def embedded_db_url(url: str, here: str) -> str:
    """``sqla+sqlite:///broker.sqlite`` -> an SQLAlchemy URL, relative paths resolved against ``here``."""
    inner = url.split("+", 1)[1]
    return normalize_url(inner, here).render_as_string(hide_password=False)


def connect(settings: Settings, connect_timeout: float | None = None) -> kombu.Connection:
    """A (lazy) connection; RabbitMQ channels use publisher confirms.

    Several URLs separated by ``;`` are fail-over alternatives: kombu tries them round-robin,
    moving to the next one whenever connecting fails. ``as_uri()`` names the one in use.
    """
    url = settings.amqp_url
    if is_embedded(url):
        from synnefo.messaging import embedded
        return kombu.Connection(embedded_db_url(url, settings.here), transport=embedded.Transport)
    return kombu.Connection(url, transport_options={"confirm_publish": True}, heartbeat=30,
                            connect_timeout=connect_timeout)
