"""synnefo: an OpenStack-compatible cloud control plane in front of Ganeti."""

__version__ = "0.1.0"
