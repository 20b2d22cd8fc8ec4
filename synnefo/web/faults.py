"""Domain errors and HTTP errors -> OpenStack fault bodies, once, at the edge.

A fault body is ``{"<faultName>": {"code": <status>, "message": "<text>"}}`` with Nova's names
for each status. Input the schemas could not catch (undecodable URLs and query strings, values
a database refuses) answers 400 here; anything unexpected is logged with its traceback and
answers 500 computeFault. ``context.uow_tween`` sends errors raised at commit through these
same views.
"""
from __future__ import annotations

import logging

import colander
import sqlalchemy.exc as sa_exc
from pyramid import httpexceptions as exc
from pyramid.response import Response
from pyramid.view import exception_view_config, notfound_view_config

from synnefo.core import errors
from synnefo.web.routes import route_methods

log = logging.getLogger(__name__)

FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
               405: "badMethod", 409: "conflictingRequest", 413: "overLimit",
               415: "badMediaType", 429: "overLimit", 501: "notImplemented",
               503: "serviceUnavailable"}

DOMAIN_STATUS = [  # most specific first
    (errors.InvalidInput, 400), (errors.Unauthorized, 401), (errors.Forbidden, 403),
    (errors.QuotaExceeded, 403), (errors.NotFound, 404), (errors.Conflict, 409),
    (errors.OverLimit, 413), (errors.Throttled, 429),
    (errors.BackendRefused, 409), (errors.BackendUnavailable, 503), (errors.BackendError, 503),
]


class HTTPFault(Exception):
    """An HTTP-level error raised by the web layer (microversion, body parsing, ...)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def fault_response(status: int, message: str) -> Response:
    name = FAULT_NAMES.get(status, "computeFault")
    response = Response(status=status, json_body={name: {"code": status, "message": message}})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Keystone uri="/identity/v3"'
    return response


def status_of(error: errors.SynnefoError) -> int:
    for cls, status in DOMAIN_STATUS:
        if isinstance(error, cls):
            return status
    return 500


@exception_view_config(errors.SynnefoError)
def domain_error(error, request):
    status = status_of(error)
    if status >= 500:
        log.error("%s %s failed: %s: %s", request.method, request.path,
                  error.__class__.__name__, error)
    response = fault_response(status, str(error) or error.__class__.__name__)
    if isinstance(error, errors.Throttled):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@exception_view_config(HTTPFault)
def http_fault(error, request):
    return fault_response(error.status, error.message)


@exception_view_config(colander.Invalid)
def invalid_input(error, request):
    return fault_response(400, describe_invalid(error))


def describe_invalid(error: colander.Invalid) -> str:
    problems = "; ".join(f"{key or 'body'}: {msg}" for key, msg in sorted(error.asdict().items()))
    return f"Invalid input: {problems}"


@exception_view_config(UnicodeDecodeError)
def undecodable(error, request):
    return fault_response(400, "The request URL or query string is not valid UTF-8 "
                               f"(byte {error.object[error.start:error.end]!r}).")


@exception_view_config(UnicodeEncodeError)
def unencodable(error, request):
    return fault_response(400, "The request contains a lone surrogate or a character that "
                               "cannot be stored.")


@exception_view_config(sa_exc.DataError)
@exception_view_config(OverflowError)
def data_error(error, request):
    # The database refused a value (NUL on PostgreSQL, a number out of range, ...).
    log.info("%s %s: the database refused a value: %s", request.method, request.path,
             getattr(error, "orig", error))
    return fault_response(400, "A value in the request is out of range or invalid for the "
                               "database.")


@exception_view_config(sa_exc.OperationalError)
@exception_view_config(sa_exc.InterfaceError)
def database_unavailable(error, request):
    # The database is down, restarting or unreachable: a 503 tells clients to retry (a 500 not).
    log.error("%s %s: database unavailable: %s", request.method, request.path,
              getattr(error, "orig", error))
    response = fault_response(503, "The database is unavailable; retry the request shortly.")
    response.headers["Retry-After"] = "5"
    return response


@notfound_view_config()
def not_found(request):
    return fault_response(404, "The resource could not be found.")


@exception_view_config(exc.HTTPMethodNotAllowed)
def method_not_allowed(error, request):
    response = fault_response(405, f"The method {request.method} is not allowed for this "
                                   "resource.")
    route = request.matched_route
    allowed = route_methods(request.registry).get(route.name, set()) if route else set()
    if "GET" in allowed:
        allowed.add("HEAD")
    response.headers["Allow"] = ", ".join(sorted(allowed))   # RFC 9110 section 15.5.6
    return response


@exception_view_config(exc.HTTPError)
def other_http_error(error, request):
    return fault_response(error.code, error.explanation or error.title)


@exception_view_config(Exception)
def unexpected(error, request):
    log.exception("%s %s: unexpected error", request.method, request.path)
    return fault_response(500, "Unexpected API Error. Please report this at the project's "
                               "issue tracker and attach the API log if possible.")
