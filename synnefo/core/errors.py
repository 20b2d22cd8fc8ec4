"""Domain errors. Each edge (web faults, dispatcher outcomes, CLI exit codes) translates them once."""


class SynnefoError(Exception):
    """Base of every domain error."""

    def __init__(self, message: str = "", **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ConfigurationError(SynnefoError):
    """Start-up cannot continue: a bad setting or a broken plugin."""


class PluginError(ConfigurationError):
    """A plugin is unknown, fails to import, or clashes with another one."""


class NotFound(SynnefoError):
    """The object does not exist (or is not visible to the caller)."""


class Conflict(SynnefoError):
    """The object's state forbids the operation."""


class InvalidInput(SynnefoError):
    """The caller sent something malformed."""


class Forbidden(SynnefoError):
    """The caller may not do this (e.g. exceeds a metadata limit)."""


class QuotaExceeded(SynnefoError):
    """The caller's quota does not allow the operation."""


class OverLimit(SynnefoError):
    """The request is larger than a fixed limit (user data, injected files); the message says which."""


class Throttled(SynnefoError):
    """Too many failed attempts; ``retry_after`` is the number of seconds to wait."""

    def __init__(self, message: str = "", retry_after: int = 1, **details):
        super().__init__(message, **details)
        self.retry_after = retry_after


class Unauthorized(SynnefoError):
    """No valid credentials."""


class BackendError(SynnefoError):
    """A backend (Ganeti cluster) failed to carry out a request."""


class BackendUnavailable(BackendError):
    """Transient: timeout, connection refused, 5xx. Retrying later may work."""


class BackendRefused(BackendError):
    """The backend understood and refused the request; `message` carries its reason."""


class BackendNotFound(BackendError):
    """The backend does not know the object (instance, job)."""


class InvalidMessage(SynnefoError):
    """A bus message cannot be processed: bad JSON, unknown type, schema failure."""
