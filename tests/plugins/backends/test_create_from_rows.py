"""A server created through the service reaches Ganeti with its flavor's and image's values."""
import pytest

from synnefo.core.app import build_core
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.services import accounts, catalog
from synnefo.core.services.servers import CreateRequest, ServerService
from synnefo.core.settings import parse_settings


@pytest.fixture
def core(sqlite_url, simulator, tls):
    settings = parse_settings({
        "synnefo.db_url": sqlite_url, "synnefo.backend_drivers": "ganeti",
        "synnefo.console_proxy": "fake", "synnefo.hooks": "default-scheduler",
        "synnefo.public_network": "snf-net", "synnefo.instance_prefix": "snf-",
        "synnefo.backend.password": "secret"}, environ={})
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    engine.dispose()
    core = build_core(settings)
    with core.uow() as uow:
        catalog.add_backend(uow.session, "cluster1", "ganeti", rapi_url=simulator.url,
                            username="admin", credentials_ref="setting",
                            options={"ca_file": tls.ca_file})
        uow.commit()
    yield core
    core.close()


def test_the_create_body_follows_the_servers_flavor_and_image(core, simulator):
    with core.uow() as uow:
        owner = accounts.create_user(uow.session, "alice")
        flavor = catalog.create_flavor(uow.session, "m1", vcpus=3, ram_mib=1536, disk_gib=12)
        image = catalog.register_image(uow.session, "deb", "debian-12-ref", format="ext3dump")
        uow.commit()
        request = CreateRequest(name="vm", flavor_id=flavor.id, image_id=image.id, metadata={})
        [(server, password)] = ServerService(uow, core).create(owner, request)
        uow.commit()
    (job,) = simulator.jobs()
    body = job.body
    assert body["instance_name"] == f"snf-{server.id}"
    assert body["beparams"] == {"vcpus": 3, "maxmem": 1536, "minmem": 1536}
    assert body["disks"] == [{"size": 12 * 1024}]
    assert body["osparams"] == {"img_id": "debian-12-ref", "img_passwd": password,
                                "img_format": "ext3dump"}
    assert body["nics"] == [{"network": "snf-net", "ip": "pool"}]
    assert (body["name_check"], body["ip_check"]) == (False, False)


def test_an_images_metadata_chooses_the_os_and_its_parameters(core, simulator):
    # The backend keeps snf-image's defaults; this image runs on the no-parameter OS.
    with core.uow() as uow:
        owner = accounts.create_user(uow.session, "bob")
        flavor = catalog.create_flavor(uow.session, "m1", vcpus=1, ram_mib=512, disk_gib=1)
        image = catalog.register_image(uow.session, "plain", "plain-ref", metadata={
            "ganeti.os_provider": "noop", "ganeti.os_params": "none", "OSFAMILY": "linux"})
        other = catalog.register_image(uow.session, "deb", "deb-ref",
                                       metadata={"OSFAMILY": "linux"})
        uow.commit()
        service = ServerService(uow, core)
        for chosen in (image, other):
            service.create(owner, CreateRequest(name="vm", flavor_id=flavor.id,
                                                image_id=chosen.id, metadata={}))
            uow.commit()
    noop, snf = [job.body for job in simulator.jobs()]
    assert (noop["os_type"], noop["osparams"]) == ("noop", {})
    assert snf["os_type"] == "image+default"
    assert snf["osparams"]["img_properties"] == '{"OSFAMILY":"linux"}'
    assert [job.status for job in simulator.finish_all()] == ["success", "success"]
