"""The message bus contract, as the core sees it (kombu lives behind it)."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """A message to publish: routing key on the ``ganeti`` exchange (by default) and a JSON body."""
    routing_key: str
    body: dict
    exchange: str = "ganeti"
    headers: dict = field(default_factory=dict)


class Publisher(abc.ABC):
    """Publishes persistent messages with confirms. ``publish`` raises on failure."""

    @abc.abstractmethod
    def publish(self, message: Message) -> None:
        """Publish one message; returns only once the broker has confirmed it."""

    def close(self) -> None:
        """Release the connection. Optional."""
