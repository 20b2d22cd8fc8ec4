"""Per-request helpers: the unit of work, the authenticated user, the microversion.

These are the only functions that know about ``request``; views pass plain values on to the
services. The unit of work is opened on first use and committed by ``uow_tween`` if the
response is a success, rolled back otherwise; an error raised at commit is answered by the
exception views (``web.faults``) like any other. Authentication comes first: a route that needs
a token checks it as soon as the route is matched, before any view runs.
"""
from __future__ import annotations

import json
import sys
import uuid

from synnefo.core.errors import Unauthorized
from synnefo.core.services import token_cache
from synnefo.web import microversions
from synnefo.web.faults import HTTPFault
from synnefo.web.routes import AUTH_ROUTES, WRITING_GET_ROUTES

TOKEN_HEADER = "X-Auth-Token"
LEGACY_API = "v2.0"


def includeme(config):
    config.registry.token_cache = token_cache.TokenCache(
        config.registry.core.settings.token_cache_seconds)
    config.add_request_method(_uow, "uow", reify=True)
    config.add_request_method(_user, "user", reify=True)
    config.add_request_method(_microversion, "microversion", reify=True)
    config.add_request_method(api_base, "api_base", reify=True)
    config.add_request_method(json_body_of, "payload", reify=True)
    config.add_tween("synnefo.web.context.uow_tween_factory")
    config.add_subscriber(_authenticate_first, "pyramid.events.ContextFound")
    config.add_subscriber(_echo_microversion, "pyramid.events.NewResponse")
    config.add_subscriber(_request_id, "pyramid.events.NewResponse")


READ_METHODS = frozenset({"GET", "HEAD"})


def _uow(request):
    uow = request.registry.core.uow(read_only=_reads_only(request)).__enter__()
    request.environ["synnefo.uow"] = uow
    return uow


def _reads_only(request) -> bool:
    """A GET only reads (bar the legacy login): its unit of work runs without a transaction
    where the database allows (``reading_engine``), and refuses to write."""
    route = request.matched_route
    return request.method in READ_METHODS and (route is None or route.name not in WRITING_GET_ROUTES)


def uow_tween_factory(handler, registry):
    def uow_tween(request):
        try:
            response = handler(request)
        except BaseException:
            _finish(request, ok=False)
            raise
        try:
            _finish(request, ok=response.status_code < 400)
        except Exception:
            # Nothing was committed: answer with a fault body, not waitress's plain text.
            return request.invoke_exception_view(sys.exc_info())
        return response
    return uow_tween


def _finish(request, ok: bool) -> None:
    uow = request.environ.pop("synnefo.uow", None)
    if uow is None:
        return
    try:
        uow.commit() if ok else uow.rollback()
    finally:
        uow.session.close()


def _authenticate_first(event) -> None:
    """401 before any other check (microversion, body, method) on routes that need a token."""
    route = event.request.matched_route
    if route is not None and route.name in AUTH_ROUTES:
        event.request.user   # reified; raises Unauthorized (answered by web.faults)


def _user(request):
    token = request.headers.get(TOKEN_HEADER)
    user = token_cache.authenticate(request.registry.token_cache, request.uow.session, token) \
        if token else None
    if user is None:
        raise Unauthorized("The request you have made requires authentication.")
    return user


def is_compute(request) -> bool:
    return bool(request.matchdict) and "api" in request.matchdict


def _microversion(request) -> microversions.Version:
    if request.matchdict and request.matchdict.get("api", "").endswith(LEGACY_API):
        return microversions.MIN
    return microversions.parse(microversions.requested(request.headers))


def _echo_microversion(event) -> None:
    request = event.request
    if not is_compute(request) or request.matchdict["api"].endswith(LEGACY_API):
        return
    try:
        version = request.microversion
    except HTTPFault:
        return
    microversions.echo(event.response, version)


def _request_id(event) -> None:
    """Nova's request id headers (clients log them; operators grep the API log for them)."""
    request_id = f"req-{uuid.uuid4()}"
    event.response.headers["x-openstack-request-id"] = request_id
    if is_compute(event.request):
        event.response.headers["x-compute-request-id"] = request_id


def api_base(request) -> str:
    """The compute endpoint the client used (``.../compute/v2.1`` or ``.../v2.1``)."""
    api = (request.matchdict or {}).get("api", "compute/v2.1")
    return f"{request.application_url}/{api}"


def json_body_of(request):
    """The parsed JSON body; 400 for a missing or malformed one."""
    if not request.body:
        raise HTTPFault(400, "The request body is empty; a JSON object is required.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPFault(400, "Malformed request body: it is not valid JSON.") from None
    except RecursionError:
        raise HTTPFault(400, "Malformed request body: its JSON is nested too deeply.") from None
    if not isinstance(body, dict):
        raise HTTPFault(400, "Malformed request body: a JSON object is required.")
    return body


def at_least(request, minor: int) -> bool:
    return request.microversion >= microversions.Version(2, minor)
