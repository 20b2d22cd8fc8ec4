"""The message bus behind the core's Publisher contract (kombu: RabbitMQ or the embedded broker).

Importing this package does nothing; ``make_publisher(core)`` and the dispatcher build
connections and declare the topology from the settings when they start.
"""


def make_publisher(core):
    """``core.publisher``'s factory, the ``kombu`` plugin of ``synnefo.publishers``: a
    confirmed, persistent publisher for ``core.settings``."""
    from synnefo.messaging.publisher import make_publisher as factory
    return factory(core)
