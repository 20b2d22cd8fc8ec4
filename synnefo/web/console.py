"""The web console page: ``/console/`` shows a VM's console with noVNC in the browser.

The page is static; the console URL the API answers carries, in its fragment, the WebSocket
URL of a one-time forwarding and its password (see ``page_url``). noVNC itself comes from a
packaged, pinned copy on disk (Debian's ``novnc`` by default), never from a CDN.
Option (``[app:main]``): ``synnefo.web_console.novnc_dir`` (default ``/usr/share/novnc``).
"""
from __future__ import annotations

import logging
import os
from urllib.parse import urlencode

import colander
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.static import static_view

from synnefo.core.settings import parse_section

log = logging.getLogger(__name__)

SECTION = "web_console"
PAGE_DIR = os.path.join(os.path.dirname(__file__), "console_page")
# Scripts only from this site; the page talks to the console proxy over ws(s) only.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src ws: wss:; base-uri 'none'; frame-ancestors 'none'")


def _schema() -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(colander.SchemaNode(colander.String(), name="novnc_dir",
                                   missing="/usr/share/novnc"))
    return schema


def includeme(config) -> None:
    """The view of the ``console`` route: ``/console/`` is the page, ``/console/app/...`` its
    own files, ``/console/novnc/...`` noVNC's files."""
    novnc_dir = parse_section(_schema(), config.registry.core.settings, SECTION)["novnc_dir"]
    if not os.path.isfile(os.path.join(novnc_dir, "core", "rfb.js")):
        log.warning("web console: noVNC not found in %s (install Debian's novnc, or set "
                    "synnefo.%s.novnc_dir); console pages will not connect", novnc_dir, SECTION)
    with open(os.path.join(PAGE_DIR, "index.html"), "rb") as source:
        page = source.read()
    files = {"app": static_view(PAGE_DIR, use_subpath=True),
             "novnc": static_view(novnc_dir, use_subpath=True)}

    def console(context, request):
        if not request.subpath:
            return _page(page)
        serve = files.get(request.subpath[0])
        if serve is None:
            raise HTTPNotFound()
        request.subpath = request.subpath[1:]
        return serve(context, request)

    config.add_view(console, route_name="console", request_method="GET")


def _page(body: bytes) -> Response:
    response = Response(body=body, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def page_url(request, websocket_url: str, password: str) -> str:
    """The console page's URL for one forwarding; the secrets travel in the fragment."""
    fragment = urlencode({"url": websocket_url, "password": password})
    return f"{request.route_url('console', subpath=())}#{fragment}"
