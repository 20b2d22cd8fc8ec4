"""Walls 2 and 4: production seeds nothing at start-up; the development seed never fights an
operator's own rows (idempotent by name)."""
import shutil
from pathlib import Path

import sqlalchemy as sa

from synnefo.core.app import build_core
from synnefo.core.db import migrate
from synnefo.core.db.models import Backend, Flavor, Image
from synnefo.core.services import catalog
from synnefo.core.services.seed import DEMO_FLAVORS, seed
from synnefo.core.settings import parse_settings
from synnefo.daemons.config import load_settings

ROOT = Path(__file__).resolve().parents[3]


def operator_core(tmp_path, monkeypatch):
    """A deployment as the README says: an operator .ini on top of production.ini."""
    for name in ("SYNNEFO_DB_URL", "SYNNEFO_BACKEND_NAME", "SYNNEFO_SEED_DEMO"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(ROOT / "production.ini", tmp_path / "production.ini")
    (tmp_path / "synnefo.ini").write_text(
        "[app:main]\nuse = config:production.ini#main\n"
        f"synnefo.db_url = sqlite:///{tmp_path}/synnefo.sqlite\n")
    core = build_core(load_settings(str(tmp_path / "synnefo.ini")))
    migrate.upgrade(core.engine)
    return core


def backends(core) -> list[tuple]:
    with core.uow() as uow:
        return [(b.name, b.rapi_url) for b in uow.session.scalars(sa.select(Backend))]


def test_a_production_start_up_seeds_nothing(tmp_path, monkeypatch):
    core = operator_core(tmp_path, monkeypatch)
    try:
        seed(core)
        assert backends(core) == []
        with core.uow() as uow:
            assert uow.session.scalar(sa.select(sa.func.count(Flavor.id))) == 0
            assert uow.session.scalar(sa.select(sa.func.count(Image.id))) == 0
    finally:
        core.close()


def test_the_readmes_backend_survives_a_restart(tmp_path, monkeypatch):
    core = operator_core(tmp_path, monkeypatch)
    try:
        with core.uow() as uow:     # what `snf-manage backend-add ganeti1 ...` does
            catalog.add_backend(uow.session, "ganeti1", "ganeti",
                                "https://ganeti1.example.org:5080", "synnefo", "env:PW")
        seed(core)                  # the next pserve start-up
        assert backends(core) == [("ganeti1", "https://ganeti1.example.org:5080")]
    finally:
        core.close()


def demo_core(tmp_path):
    settings = parse_settings({"synnefo.db_url": f"sqlite:///{tmp_path}/dev.sqlite",
                               "synnefo.seed_demo": "true", "synnefo.backend.name": "default",
                               "synnefo.backend_drivers": "fake",
                               "synnefo.console_proxy": "fake"}, environ={})
    return build_core(settings)


def flavors(core) -> dict:
    with core.uow() as uow:
        return {f.name: (f.id, f.vcpus, f.ram_mib) for f in uow.session.scalars(sa.select(Flavor))}


def test_the_demo_seed_keeps_an_operators_flavor_of_the_same_name(tmp_path):
    core = demo_core(tmp_path)
    try:
        migrate.upgrade(core.engine)
        with core.uow() as uow:
            catalog.create_flavor(uow.session, "m1.small", 2, 3072, 30, flavor_id=7)
            catalog.create_flavor(uow.session, "operator.one", 1, 512, 5, flavor_id=1)
        seed(core)                  # before: Conflict: flavor 'm1.small' already exists
        seed(core)                  # and again: idempotent
        seeded = flavors(core)
        assert seeded["m1.small"] == (7, 2, 3072)
        assert seeded["operator.one"] == (1, 1, 512)
        assert set(seeded) == {name for _, name, *_ in DEMO_FLAVORS} | {"operator.one"}
        assert seeded["m1.medium"][0] == 3          # a free demo id is kept
        assert seeded["m1.tiny"][0] not in (1, 7)   # a taken one is not
        assert backends(core) == [("default", None)]
    finally:
        core.close()
