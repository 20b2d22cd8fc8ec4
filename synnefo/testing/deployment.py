"""A whole deployment from an ``.ini`` on disk, for plugin authors' end-to-end tests.

``Deployment`` writes an ``.ini`` (SQLite, demo catalogue, fake backend), builds the WSGI app the
way ``pserve`` does (``pyramid.paster.get_app``: PasteDeploy, ``build_core``, the installed entry
points, the ``synnefo.*`` lists that enable them) and talks to it with WebTest as an OpenStack
client would. Notifications of the fake cluster are applied at once by the dispatcher's pure
``dispatch`` (no broker), so after-commit hooks fire as in production.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import webtest
from pyramid.paster import get_app

from synnefo.core.contracts.bus import Message, Publisher
from synnefo.testing.inifiles import write_ini

API = "/compute/v2.1"
DEFAULTS = {
    "seed_demo": "true", "backend_drivers": "fake", "console_proxy": "fake",
    "backend.name": "fake1", "backend.driver": "fake", "fake.job_delay": "0.01",
    "fake.progress_steps": "1", "public_url": "http://localhost",
}


class DispatchingPublisher(Publisher):
    """Hands each published message straight to the dispatcher's ``dispatch``."""

    def __init__(self, core):
        self.core = core
        self.outcomes = []

    def publish(self, message: Message) -> None:
        from synnefo.daemons.dispatcher.dispatch import dispatch
        body = json.dumps(message.body).encode()
        self.outcomes.append(dispatch(self.core, body, message.headers))


class Deployment:
    """The app of ``<directory>/test.ini`` with ``settings`` (``synnefo.`` omitted) on top of
    ``DEFAULTS`` and other ``[app:main]`` keys from ``app_options`` (e.g. ``pyramid.includes``);
    ``api`` is a ``webtest.TestApp`` logged in as the demo user."""

    def __init__(self, directory: Path, app_options: dict[str, str] | None = None, **settings: str):
        directory.mkdir(parents=True, exist_ok=True)
        options = {**DEFAULTS, "db_url": f"sqlite:///{directory}/synnefo.sqlite",
                   "amqp_url": f"sqla+sqlite:///{directory}/broker.sqlite",
                   "instance_prefix": f"t{secrets.token_hex(3)}-", **settings}
        self.ini = write_ini(directory, options, app_options=app_options)
        self.app = get_app(str(self.ini), "main")
        self.core = self.app.registry.core
        self.core.set_publisher(DispatchingPublisher(self.core))
        self.api = webtest.TestApp(self.app)
        self._login()

    def _login(self) -> None:
        demo = self.core.settings
        response = self.api.get("/v1.0", headers={"X-Auth-User": demo.demo_user,
                                                  "X-Auth-Key": demo.demo_password}, status=204)
        self.api.extra_environ = {"HTTP_X_AUTH_TOKEN": response.headers["X-Auth-Token"],
                                  "HTTP_OPENSTACK_API_VERSION": "compute 2.96"}

    def image_id(self, name: str = "debian-12") -> str:
        images = self.api.get("/image/v2/images").json["images"]
        return next(image["id"] for image in images if image["name"] == name)

    def create_server(self, name: str, flavor: str = "1", status: int = 202, **extra):
        """``POST /servers``; returns the WebTest response."""
        body = {"server": {"name": name, "flavorRef": flavor, "imageRef": self.image_id(),
                           "networks": "none", **extra}}
        return self.api.post_json(f"{API}/servers", body, status=status)

    def settle(self, backend_name: str = "fake1") -> None:
        """Wait until the fake cluster has finished every job and its notifications are applied."""
        from synnefo.core.services.catalog import get_backend
        with self.core.uow() as uow:
            backend = get_backend(uow.session, backend_name)
        assert self.core.driver_for(backend).wait_idle(30), "the fake cluster did not settle"

    def close(self) -> None:
        self.core.close()
