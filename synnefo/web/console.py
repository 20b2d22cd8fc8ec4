"""The web console page: ``/console/`` shows a VM's console with noVNC in the browser.

The page is static; the console URL the API answers carries, in its fragment, the WebSocket
URL of a one-time forwarding and its password (see ``page_url``). noVNC itself comes from a
packaged, pinned copy on disk (Debian's ``novnc`` by default), never from a CDN.
Option (``[app:main]``): ``synnefo.web_console.novnc_dir`` (default ``/usr/share/novnc``).
"""
from __future__ import annotations

import logging
import os
from importlib import resources
from urllib.parse import urlencode

import colander
from pyramid.response import Response

from synnefo.core.settings import parse_section

log = logging.getLogger(__name__)

SECTION = "web_console"
# Scripts only from this site; the page talks to the console proxy over ws(s) only.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src ws: wss:; base-uri 'none'; frame-ancestors 'none'")


def _schema() -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(colander.SchemaNode(colander.String(), name="novnc_dir",
                                   missing="/usr/share/novnc"))
    return schema


def includeme(config) -> None:
    """Route ``/console/``, the page's own files and noVNC's files."""
    novnc_dir = parse_section(_schema(), config.registry.core.settings, SECTION)["novnc_dir"]
    if not os.path.isfile(os.path.join(novnc_dir, "core", "rfb.js")):
        log.warning("web console: noVNC not found in %s (install Debian's novnc, or set "
                    "synnefo.%s.novnc_dir); console pages will not connect", novnc_dir, SECTION)
    page = resources.files("synnefo.web").joinpath("console_page/index.html").read_bytes()
    config.add_route("console_page", "/console/")
    config.add_view(lambda request: _page(page), route_name="console_page",
                    request_method="GET")
    config.add_static_view("console/app", "synnefo.web:console_page")
    config.add_static_view("console/novnc", novnc_dir)


def _page(body: bytes) -> Response:
    response = Response(body=body, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def page_url(request, websocket_url: str, password: str) -> str:
    """The console page's URL for one forwarding; the secrets travel in the fragment."""
    return request.route_url("console_page") + "#" + urlencode({"url": websocket_url,
                                                                 "password": password})
