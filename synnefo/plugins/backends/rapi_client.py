"""A small Ganeti RAPI v2 client over requests: TLS, basic auth, timeouts, GET-only retries.

Transport failures are translated here, once, into the backend errors of the driver contract:

* timeout, connection failure, TLS failure, 5xx -> ``BackendUnavailable``;
* 400 (and any other 4xx) -> ``BackendRefused`` with Ganeti's ``message`` (HTML-unescaped:
  Ganeti escapes it inside the JSON body);
* 401/403 -> ``BackendRefused`` saying the credentials were rejected;
* 404 -> ``BackendNotFound``.
"""
from __future__ import annotations

import html
import logging
import threading
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.util.retry import Retry

from synnefo.core.errors import BackendNotFound, BackendRefused, BackendUnavailable

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RapiConfig:
    base_url: str
    username: str | None
    password: str | None
    verify: bool | str            # True, False, or the path of a CA bundle
    connect_timeout: float
    read_timeout: float
    retries: int
    backoff: float
    label: str                    # names the backend in errors and logs


class RapiClient:
    """JSON in, JSON out. Reads and writes use separate sessions so that writes are never
    resent; each thread has its own pair (requests does not promise a Session is thread-safe)."""

    def __init__(self, config: RapiConfig):
        self.config = config
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()

    def _sessions(self) -> tuple[requests.Session, requests.Session]:
        pair = getattr(self._local, "pair", None)
        if pair is None:
            pair = (self._session(self._retry(self.config.retries)),
                    self._session(Retry(total=0, raise_on_status=False)))
            self._local.pair = pair
            with self._lock:
                self._all.extend(pair)
        return pair

    def _retry(self, count: int) -> Retry:
        return Retry(total=count, connect=count, read=count, status=count, other=0,
                     allowed_methods=frozenset({"GET"}), status_forcelist=RETRY_STATUSES,
                     backoff_factor=self.config.backoff, raise_on_status=False,
                     respect_retry_after_header=False)

    def _session(self, retry: Retry) -> requests.Session:
        session = requests.Session()
        session.auth = (self.config.username or "", self.config.password or "")
        session.headers.update({"Accept": "application/json",
                                "Content-Type": "application/json",
                                "User-Agent": "synnefo-ganeti-driver"})
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def get(self, path: str, params: dict | None = None):
        return self._call(self._sessions()[0], "GET", path, params, None)

    def post(self, path: str, body=None, params: dict | None = None):
        return self._call(self._sessions()[1], "POST", path, params, body)

    def put(self, path: str, body=None, params: dict | None = None):
        return self._call(self._sessions()[1], "PUT", path, params, body)

    def delete(self, path: str, params: dict | None = None):
        return self._call(self._sessions()[1], "DELETE", path, params, None)

    def probe(self, method: str, path: str, body=None) -> tuple[int, str]:
        """``(HTTP status, Ganeti's message)`` of one request that is expected to be refused
        (``backend-check``): an error status is neither logged nor raised; transport failures
        raise as for any call."""
        session = self._sessions()[0 if method == "GET" else 1]
        try:
            response = session.request(method, self.config.base_url.rstrip("/") + path,
                                       json=body, verify=self.config.verify,
                                       timeout=(self.config.connect_timeout,
                                                self.config.read_timeout))
        except requests.RequestException as exc:
            raise self._transport_error(method, path, exc) from exc
        return response.status_code, ganeti_message(response)

    def close(self) -> None:
        with self._lock:
            sessions, self._all = self._all, []
        for session in sessions:
            session.close()

    def _call(self, session, method, path, params, body):
        url = self.config.base_url.rstrip("/") + path
        try:
            # verify is passed per request: a session-level value loses to REQUESTS_CA_BUNDLE.
            response = session.request(method, url, params=params, json=body,
                                       verify=self.config.verify,
                                       timeout=(self.config.connect_timeout,
                                                self.config.read_timeout))
        except requests.RequestException as exc:
            raise self._transport_error(method, path, exc) from exc
        return self._answer(method, path, response)

    def _transport_error(self, method, path, exc) -> BackendUnavailable:
        if isinstance(exc, requests.exceptions.SSLError):
            reason = (f"TLS certificate verification failed ({_short(exc)}); set the backend's "
                      f"ca_file option to the cluster's certificate")
        elif _is_timeout(exc):
            reason = "timed out"
        else:
            reason = f"connection failed ({_short(exc)})"
        log.error("RAPI %s %s on %s: %s", method, path, self.config.label, reason)
        return BackendUnavailable(f"{self.config.label}: {method} {path} {reason}",
                                  backend=self.config.label)

    def _answer(self, method, path, response: requests.Response):
        if response.status_code == 200:
            return self._json(method, path, response)
        message = ganeti_message(response)
        error = _status_error(response.status_code, message, self.config.label, path)
        log.error("RAPI %s %s on %s: HTTP %s %s", method, path, self.config.label,
                  response.status_code, message)
        raise error

    def _json(self, method, path, response):
        try:
            return response.json()
        except ValueError:
            raise BackendUnavailable(f"{self.config.label}: {method} {path} returned invalid "
                                     f"JSON", backend=self.config.label) from None


def ganeti_message(response: requests.Response) -> str:
    """Ganeti's error text: ``message`` of the JSON body, HTML-unescaped."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason or ""
    if isinstance(body, dict) and body.get("message"):
        return html.unescape(str(body["message"]))
    return response.reason or ""


def _status_error(status: int, message: str, label: str, path: str):
    if status in (401, 403):
        return BackendRefused(f"{label}: the cluster rejected the RAPI credentials (HTTP {status} "
                              f"{message}); check the backend's username and password",
                              status=status)
    if status == 404:
        return BackendNotFound(f"{label}: {path.split('?')[0]} not found", status=status)
    if status >= 500:
        return BackendUnavailable(f"{label}: HTTP {status} {message}".rstrip(), status=status)
    return BackendRefused(message, status=status)


def _is_timeout(exc: Exception) -> bool:
    """Timeouts that exhausted the retries arrive wrapped in a ConnectionError (and urllib3
    counts a refused connection as a connect timeout, hence the exclusion)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    wrapped = (isinstance(reason, urllib3_exceptions.TimeoutError)
               and not isinstance(reason, urllib3_exceptions.NewConnectionError))
    return isinstance(exc, requests.Timeout) or wrapped


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."
