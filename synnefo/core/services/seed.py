"""Seeding at start-up, development only: the backend named in the .ini and a demo catalogue.

``production.ini`` names no backend and leaves ``seed_demo`` off, so a production start-up
seeds nothing: backends, flavors and images come from ``snf-manage``. Everything here is
idempotent by name, so that it never fights what an operator created by hand.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from synnefo.core.db import migrate
from synnefo.core.db.models import Backend, Flavor, Image
from synnefo.core.services import accounts, catalog

log = logging.getLogger(__name__)

DEMO_FLAVORS = [  # (id, name, vcpus, ram MiB, disk GiB)
    (1, "m1.tiny", 1, 512, 1), (2, "m1.small", 1, 2048, 20), (3, "m1.medium", 2, 4096, 40),
    (4, "m1.large", 4, 8192, 80), (5, "C1R1024D20", 1, 1024, 20),
]
DEMO_IMAGES = [  # (name, Ganeti image reference, format)
    ("debian-12", "debian-12-bookworm.diskdump", "diskdump"),
    ("ubuntu-24.04", "ubuntu-24.04-noble.diskdump", "diskdump"),
    ("cirros", "cirros-0.6.diskdump", "diskdump"),
]


def seed(core) -> None:
    """Run at start-up of the web app: migrate (embedded SQLite only), default backend, demo data."""
    if core.settings.seed_demo:
        migrate.upgrade(core.engine)
    with core.uow() as uow:
        ensure_default_backend(uow.session, core.settings)
        if core.settings.seed_demo:
            seed_demo(uow.session, core.settings)


def ensure_default_backend(session, settings) -> Backend | None:
    """Create or update the backend described by ``synnefo.backend.*`` (if a name is set)."""
    spec = settings.backend
    if not spec.get("name"):
        return None
    backend = session.scalar(sa.select(Backend).where(Backend.name == spec["name"]))
    if backend is None:
        backend = catalog.add_backend(session, spec["name"], spec["driver"])
        log.info("seeded backend %s (driver %s)", backend.name, backend.driver)
    backend.driver = spec["driver"]
    backend.rapi_url = spec.get("rapi_url") or None
    backend.username = spec.get("username") or None
    backend.credentials_ref = "setting" if spec.get("password") else None
    return backend


def seed_demo(session, settings) -> None:
    """Demo user, flavors and images, each created only if missing (idempotent)."""
    if accounts.find_user(session, settings.demo_user) is None:
        accounts.create_user(session, settings.demo_user, settings.demo_password)
        log.info("seeded demo user %s", settings.demo_user)
    for flavor_id, name, vcpus, ram, disk in DEMO_FLAVORS:
        if session.scalar(sa.select(Flavor.id).where(Flavor.name == name)) is not None:
            continue      # the operator's flavor of that name wins, whatever its size
        # Take the demo's id if it is free, so that "--flavor 2" examples work on a fresh start.
        free = session.get(Flavor, flavor_id) is None
        catalog.create_flavor(session, name, vcpus, ram, disk,
                              flavor_id=flavor_id if free else None)
    for name, ref, fmt in DEMO_IMAGES:
        if session.scalar(sa.select(Image.id).where(Image.name == name)) is None:
            catalog.register_image(session, name, ref, fmt, public=True,
                                   metadata={"os": name.split("-")[0]})
