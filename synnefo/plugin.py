"""The public surface for plugin authors: import what a plugin needs from here.

``from synnefo.plugin import hookimpl, MessageHandler, HandlerResult, InvalidInput,
parse_section`` ... Everything listed in ``__all__`` is kept stable across minor versions; the
modules it comes from (``synnefo.core.*``) may move. The reference for each name is its own
docstring, and ``docs/plugins.md`` is the guide.
"""
from synnefo.core.contracts import (
    BackendDriver, BackendInfo, ClusterInfo, ConsoleForwarding, ConsoleInfo, ConsoleProxy,
    HandlerResult, InstanceInfo, InstanceSpec, JobInfo, Message, MessageHandler, NicInfo,
    Publisher,
)
from synnefo.core.contracts.backend import NicSpec
from synnefo.core.contracts.handler import HandlerOutcome
from synnefo.core.errors import (
    BackendError, BackendNotFound, BackendRefused, BackendUnavailable, ConfigurationError,
    Conflict, Forbidden, InvalidInput, InvalidMessage, NotFound, PluginError, QuotaExceeded,
    SynnefoError, Unauthorized,
)
from synnefo.core.events import BackendJobFinished, VmStateChanged
from synnefo.core.hookspecs import hookimpl
from synnefo.core.settings import Settings, parse_section

__all__ = [
    # hooks (pluggy): mark implementations; the hooks are documented in synnefo.core.hookspecs
    "hookimpl", "VmStateChanged", "BackendJobFinished",
    # contracts (stevedore plugins) and their values
    "BackendDriver", "BackendInfo", "ClusterInfo", "ConsoleInfo", "InstanceInfo", "InstanceSpec",
    "JobInfo", "NicInfo", "NicSpec", "ConsoleProxy", "ConsoleForwarding", "MessageHandler",
    "HandlerResult", "HandlerOutcome", "Publisher", "Message",
    # domain errors (each edge translates them: API faults, dispatcher outcomes)
    "SynnefoError", "ConfigurationError", "PluginError", "NotFound", "Conflict", "InvalidInput",
    "Forbidden", "QuotaExceeded", "Unauthorized", "BackendError", "BackendUnavailable",
    "BackendRefused", "BackendNotFound", "InvalidMessage",
    # settings: a plugin's own options, ``synnefo.<section>.*``
    "Settings", "parse_section",
]
