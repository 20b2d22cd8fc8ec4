"""WebTest fixtures: the real app on a migrated database, the fake backend driver, and a
publisher that hands each notification straight to the dispatcher's ``dispatch`` (no broker:
the functional tests cover the bus)."""
from __future__ import annotations

import json
import secrets

import pytest
import sqlalchemy as sa
import webtest

from synnefo.core.app import build_core
from synnefo.core.contracts.bus import Publisher
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Server
from synnefo.core.services import accounts, catalog
from synnefo.web import make_app
from synnefo.core.settings import parse_settings

V = {"OpenStack-API-Version": "compute 2.96"}


class DispatchingPublisher(Publisher):
    """Applies each published message at once through the dispatcher's pure ``dispatch``."""

    def __init__(self, core):
        self.core = core
        self.outcomes = []

    def publish(self, message) -> None:
        from synnefo.daemons.dispatcher.dispatch import dispatch
        body = json.dumps(message.body).encode()
        self.outcomes.append(dispatch(self.core, body, message.headers))


def build_test_core(url: str, **overrides):
    options = {"backend_drivers": "fake", "console_proxy": "fake",
               "hooks": "default-scheduler audit-log", "fake.job_delay": "0.01",
               "fake.progress_steps": "1", "max_metadata_items": "5",
               "instance_prefix": f"t{secrets.token_hex(3)}-",
               "public_url": "http://localhost"}
    options.update(overrides)
    raw = {"synnefo.db_url": url, **{f"synnefo.{k}": v for k, v in options.items()}}
    core = build_core(parse_settings(raw, environ={}))
    core.set_publisher(DispatchingPublisher(core))
    return core


class World:
    """The app with two users, their tokens, flavors, images and one fake backend."""

    def __init__(self, core):
        self.core = core
        self.app = webtest.TestApp(make_app(core))
        with core.uow() as uow:
            s = uow.session
            self.backend_id = catalog.add_backend(s, "fake1", "fake").id
            catalog.create_flavor(s, "m1.tiny", 1, 512, 1, flavor_id=1)
            catalog.create_flavor(s, "m1.big", 8, 16384, 100, flavor_id=2)
            catalog.create_flavor(s, "secret", 1, 512, 1, public=False, flavor_id=3)
            alice = accounts.create_user(s, "alice", "alice-pw", max_servers=6, max_cores=8,
                                         max_ram_mib=4096)
            bob = accounts.create_user(s, "bob", "bob-pw")
            self.image = catalog.register_image(s, "debian-12", "debian.diskdump",
                                                metadata={"os": "debian"}).id
            self.private_image = catalog.register_image(s, "alice-own", "own.diskdump",
                                                        owner=alice, public=False).id
            self.alice_token, _ = accounts.issue_token(s, alice, 1)
            self.bob_token, _ = accounts.issue_token(s, bob, 1)
            self.alice_id, self.bob_id = alice.id, bob.id

    def headers(self, user: str = "alice", version: str | None = "2.96") -> dict:
        token = self.alice_token if user == "alice" else self.bob_token
        headers = {"X-Auth-Token": token}
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return headers

    def get(self, path, user="alice", version="2.96", **kw):
        return self.app.get(path, headers=self.headers(user, version), **kw)

    def post(self, path, body, user="alice", version="2.96", **kw):
        return self.app.post_json(path, body, headers=self.headers(user, version), **kw)

    def put(self, path, body, user="alice", version="2.96", **kw):
        return self.app.put_json(path, body, headers=self.headers(user, version), **kw)

    def delete(self, path, user="alice", version="2.96", **kw):
        return self.app.delete(path, headers=self.headers(user, version), **kw)

    @property
    def driver(self):
        with self.core.uow() as uow:
            backend = uow.session.get(catalog.Backend, self.backend_id)
            return self.core.driver_for(backend)

    def settle(self) -> None:
        """Wait until the fake cluster has run every job and its notifications are applied."""
        assert self.driver.wait_idle(30)

    def create(self, name="vm", user="alice", settle=True, **extra) -> str:
        body = {"server": {"name": name, "imageRef": self.image, "flavorRef": "1",
                           "networks": "none", **extra}}
        server_id = self.post("/compute/v2.1/servers", body, user=user, status=202).json["server"]["id"]
        if settle:
            self.settle()
        return server_id

    def row(self, server_id) -> Server:
        with self.core.uow() as uow:
            return uow.session.scalars(sa.select(Server).where(Server.id == int(server_id))).one()


def _world(url: str, **overrides) -> World:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return World(build_test_core(url, **overrides))


@pytest.fixture
def world(sqlite_url):
    w = _world(sqlite_url)
    yield w
    w.driver.wait_idle(30)
    w.core.close()


@pytest.fixture
def any_db_world(migrated_url):
    """The same world on SQLite, PostgreSQL and MariaDB."""
    w = World(build_test_core(migrated_url))
    yield w
    w.driver.wait_idle(30)
    w.core.close()


@pytest.fixture
def world_factory(tmp_path):
    """Worlds with extra settings (each on its own SQLite file)."""
    made = []

    def make(**overrides) -> World:
        made.append(_world(f"sqlite:///{tmp_path}/w{len(made)}.sqlite", **overrides))
        return made[-1]
    yield make
    for w in made:
        w.driver.wait_idle(30)
        w.core.close()
