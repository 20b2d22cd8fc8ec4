"""Server id <-> Ganeti instance name mapping.

The instance name is ``<prefix><id>`` (``snf-42``). The text before the first dash of the prefix
is the routing prefix used in AMQP routing keys, so several deployments can share one cluster.
A bad prefix raises ``ValueError``; the settings schema rejects it first, with the setting's name.
"""
from dataclasses import dataclass

from synnefo.core.domain import instance_names


@dataclass(frozen=True)
class InstanceNaming:
    prefix: str = "snf-"

    def __post_init__(self):
        instance_names.check_prefix(self.prefix)

    @property
    def routing_prefix(self) -> str:
        return self.prefix.split("-", 1)[0]

    def instance_name(self, server_id: int) -> str:
        return f"{self.prefix}{int(server_id)}"

    def server_id(self, instance_name: str) -> int | None:
        """The server id for one of our instance names, or None if the name is not ours."""
        return instance_names.server_id(self.prefix, instance_name)

    def is_ours(self, instance_name: str) -> bool:
        return self.server_id(instance_name) is not None
