"""Abstract contracts that plugins implement. The docstrings are the reference."""
from synnefo.core.contracts.backend import (
    BackendDriver, BackendInfo, CheckResult, ClusterInfo, ConsoleInfo, InstanceInfo, InstanceSpec,
    JobInfo, NicInfo,
)
from synnefo.core.contracts.bus import Message, Publisher
from synnefo.core.contracts.console import ConsoleForwarding, ConsoleProxy
from synnefo.core.contracts.handler import HandlerResult, MessageHandler
from synnefo.core.contracts.scheduling import BackendCandidate

__all__ = [
    "BackendDriver", "BackendInfo", "CheckResult", "ClusterInfo", "ConsoleInfo", "InstanceInfo",
    "InstanceSpec", "JobInfo", "NicInfo", "Message", "Publisher", "ConsoleForwarding",
    "ConsoleProxy", "HandlerResult", "MessageHandler", "BackendCandidate",
]
