"""Quotas: over quota is 403 with Nova's message and creates nothing, anywhere."""
import pytest
import sqlalchemy as sa

from synnefo.core.db.models import Server

S = "/compute/v2.1/servers"


def count_rows(world):
    with world.core.uow() as uow:
        return uow.session.scalar(sa.select(sa.func.count(Server.id)))


def over(world, flavor="1", **extra):
    body = {"server": {"name": "over", "imageRef": world.image, "flavorRef": flavor,
                       "networks": "none", **extra}}
    return world.post(S, body, status=403).json["forbidden"]["message"]


def test_server_count_quota(world):
    for i in range(6):
        world.create(name=f"vm{i}", settle=False)
    world.settle()
    rows, instances = count_rows(world), len(world.driver.list_instances())
    message = over(world)
    assert message == ("Quota exceeded for instances: Requested 1, but already used 6 of 6 "
                       "instances")
    assert count_rows(world) == rows and len(world.driver.list_instances()) == instances


def test_cores_and_ram_quota(world):
    message = over(world, flavor="2")
    assert message == "Quota exceeded for ram: Requested 16384, but already used 0 of 4096 ram"
    world.create(name="one")
    assert over(world, flavor="2").startswith(
        "Quota exceeded for cores, ram: Requested 8, 16384, but already used 1, 512 of 8, 4096")
    assert count_rows(world) == 1 and len(world.driver.list_instances()) == 1


def test_min_count_beyond_quota_is_refused_but_max_count_is_trimmed(world):
    assert "instances" in over(world, min_count=7, max_count=7)
    world.post(S, {"server": {"name": "many", "imageRef": world.image, "flavorRef": "1",
                              "networks": "none", "min_count": 1, "max_count": 10}}, status=202)
    assert count_rows(world) == 6


def test_deleted_servers_free_their_quota(world):
    ids = [world.create(name=f"vm{i}", settle=False) for i in range(6)]
    world.settle()
    over(world)
    world.delete(f"{S}/{ids[0]}", status=204)
    world.settle()
    world.create(name="again")


@pytest.mark.parametrize("field", ["max_servers", "max_cores", "max_ram_mib", "max_disk_gib"])
def test_a_zero_quota_blocks_creation(world, field):
    from synnefo.core.services import accounts
    with world.core.uow() as uow:
        setattr(accounts.find_user(uow.session, "bob"), field, 0)
    body = {"server": {"name": "x", "imageRef": world.image, "flavorRef": "1", "networks": "none"}}
    assert "Quota exceeded" in world.post(S, body, user="bob", status=403).json["forbidden"][
        "message"]
