"""development.ini drives a Ganeti cluster after changing the driver setting and adding the
cluster's address, credentials and CA (here: the RAPI simulator)."""
import pathlib
import re

import sqlalchemy as sa

from synnefo.core.app import build_core
from synnefo.core.db.models import Flavor, Image
from synnefo.core.services import accounts
from synnefo.core.services.seed import seed
from synnefo.core.services.servers import CreateRequest, ServerService
from synnefo.daemons.config import load_settings

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_development_ini_switched_to_the_rapi_driver_submits_to_the_cluster(
        tmp_path, simulator, tls):
    # What its comment says: drop the fake driver's line, uncomment the example lines, and put
    # this cluster's address, credentials and certificate in them.
    text = (ROOT / "development.ini").read_text()
    text, dropped = re.subn(r"(?m)^synnefo\.backend\.driver = fake\n", "", text)
    text, uncommented = re.subn(r"(?m)^#   (synnefo\.(backend|ganeti)\.\w+ = )", r"\1", text)
    assert (dropped, uncommented) == (1, 5)
    for key, value in {"backend.rapi_url": simulator.url, "backend.username": "admin",
                       "backend.password": "secret", "ganeti.ca_file": tls.ca_file}.items():
        text, changed = re.subn(rf"(?m)^synnefo\.{key} = .*$", f"synnefo.{key} = {value}", text)
        assert changed == 1
    (tmp_path / "development.ini").write_text(text)
    core = build_core(load_settings(str(tmp_path / "development.ini")))
    try:
        seed(core)
        with core.uow() as uow:
            demo = accounts.find_user(uow.session, "demo")
            flavor = uow.session.get(Flavor, 1)
            image = uow.session.scalar(sa.select(Image).where(Image.name == "cirros"))
            request = CreateRequest(name="vm", flavor_id=flavor.id, image_id=image.id,
                                    metadata={})
            [(server, _)] = ServerService(uow, core).create(demo, request)
            uow.commit()
        (job,) = simulator.jobs()
        assert job.instance == f"snf-{server.id}" and job.opcode == "OP_INSTANCE_CREATE"
        assert job.body["beparams"]["maxmem"] == flavor.ram_mib
    finally:
        core.close()
