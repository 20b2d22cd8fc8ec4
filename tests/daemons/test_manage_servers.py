"""snf-manage server-list / server-show: what an operator sees of the servers table."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import (Backend, Flavor, Image, ImageMetadata, Nic, Server,
                                    ServerMetadata, User)
from managelib import migrated_ini, run

EVENT_TIME = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


@pytest.fixture
def ini(tmp_path, db_url):
    return migrated_ini(tmp_path, {"db_url": db_url, "backend_drivers": "fake ganeti",
                                       "console_proxy": "fake", "instance_prefix": "ops-"})




def seed(db_url, tag: str = "") -> dict[str, int]:
    """Two users, two backends and servers in various states; returns server ids by name.
    ``tag`` suffixes the unique names so that a test can seed twice."""
    engine = make_engine(db_url)
    with sa.orm.Session(engine) as session, session.begin():
        alice, bob = User(name="alice" + tag), User(name="bob" + tag)
        c1, c2 = (Backend(name=f"c{n}{tag}", driver="fake") for n in (1, 2))
        flavor = Flavor(name="m1.small" + tag, vcpus=1, ram_mib=2048, disk_gib=20)
        image = Image(name="debian-12", backend_ref="debian.diskdump",
                      metadata_items=[ImageMetadata(key="os", value="debian")])
        servers = [
            Server(name="web1", owner=alice, backend=c1, flavor=flavor, image=image,
                   operstate="STARTED", backend_job_id=11, backend_opcode="OP_INSTANCE_CREATE",
                   backend_status="success", backend_event_time=EVENT_TIME, build_progress=100,
                   nics=[Nic(index=0, mac="aa:00:00:00:00:01", ipv4="10.0.0.5", link="br0",
                             network="public")],
                   metadata_items=[ServerMetadata(key="role", value="frontend")]),
            Server(name="db1", owner=alice, backend=c2, flavor=flavor, operstate="STOPPED"),
            Server(name="gone", owner=bob, backend=c1, flavor=flavor, operstate="DESTROYED",
                   deleted=True, deleted_at=EVENT_TIME),
            Server(name="new", owner=bob, flavor=flavor, operstate="BUILD"),
            Server(name="rebooting", owner=alice, backend=c1, flavor=flavor, operstate="STARTED",
                   task="rebooting", task_job_id=12, backend_job_id=12,
                   backend_opcode="OP_INSTANCE_REBOOT", backend_status="running"),
            Server(name="broken", owner=bob, backend=c2, flavor=flavor, operstate="ERROR",
                   backend_job_id=13, backend_opcode="OP_INSTANCE_CREATE",
                   backend_status="error", fault_message="disk template not allowed"),
        ]
        session.add_all(servers)
        session.flush()
        ids = {s.name: s.id for s in servers}
    engine.dispose()
    return ids


def listing(ini, *args, capsys) -> list[dict]:
    code, out, err = run(ini, "server-list", "--json", *args, capsys=capsys)
    assert code == 0, err
    return json.loads(out)


def test_list_excludes_deleted_unless_asked(ini, db_url, capsys):
    seed(db_url)
    names = [r["name"] for r in listing(ini, capsys=capsys)]
    assert names == ["web1", "db1", "new", "rebooting", "broken"]
    with_deleted = [r["name"] for r in listing(ini, "--deleted", capsys=capsys)]
    assert with_deleted == ["web1", "db1", "gone", "new", "rebooting", "broken"]


def test_list_json_shape_and_derived_status(ini, db_url, capsys):
    ids = seed(db_url)
    rows = {r["name"]: r for r in listing(ini, "--deleted", capsys=capsys)}
    web1 = rows["web1"]
    assert set(web1) == {"id", "name", "owner", "backend", "operstate", "status", "task",
                         "last_job", "updated"}
    assert web1["id"] == ids["web1"] and web1["owner"] == "alice" and web1["backend"] == "c1"
    assert web1["last_job"] == {"id": 11, "opcode": "OP_INSTANCE_CREATE", "status": "success"}
    assert dt.datetime.fromisoformat(web1["updated"]).tzinfo is not None
    assert rows["new"]["backend"] is None and rows["new"]["last_job"] is None
    assert {name: r["status"] for name, r in rows.items()} == {
        "web1": "ACTIVE", "db1": "SHUTOFF", "gone": "DELETED", "new": "BUILD",
        "rebooting": "REBOOT", "broken": "ERROR"}
    assert rows["rebooting"]["task"] == "rebooting"


def test_list_filters_combine(ini, db_url, capsys):
    seed(db_url)
    assert [r["name"] for r in listing(ini, "--user", "alice", capsys=capsys)] == [
        "web1", "db1", "rebooting"]
    assert [r["name"] for r in listing(ini, "--backend", "c1", capsys=capsys)] == [
        "web1", "rebooting"]
    assert [r["name"] for r in listing(ini, "--backend", "c1", "--deleted", capsys=capsys)] == [
        "web1", "gone", "rebooting"]
    assert [r["name"] for r in listing(ini, "--operstate", "STARTED", "--user", "alice",
                                       capsys=capsys)] == ["web1", "rebooting"]
    assert listing(ini, "--user", "bob", "--backend", "c1", capsys=capsys) == []


def test_list_with_an_unknown_user_or_backend_says_so(ini, db_url, capsys):
    seed(db_url)
    code, _, err = run(ini, "server-list", "--user", "nobody", capsys=capsys)
    assert code == 2 and "user 'nobody' not found" in err
    code, _, err = run(ini, "server-list", "--backend", "c9", capsys=capsys)
    assert code == 2 and "backend 'c9' not found" in err


def test_list_table_shows_the_last_job(ini, db_url, capsys):
    ids = seed(db_url)
    code, out, _ = run(ini, "server-list", capsys=capsys)
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["ID", "NAME", "OWNER", "BACKEND", "OPERSTATE", "STATUS", "TASK",
                              "LAST_JOB", "UPDATED"]
    web1 = next(line for line in lines if line.split()[0] == str(ids["web1"]))
    assert "11/OP_INSTANCE_CREATE/success" in web1 and "ACTIVE" in web1
    assert not any(" gone " in line for line in lines)


def test_list_is_one_query_whatever_the_number_of_servers(ini, db_url, capsys):
    seed(db_url)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        assert len(listing(ini, "--deleted", capsys=capsys)) == 6
        few = [s for s in statements if "servers" in s]
        seed(db_url, tag="-more")
        statements.clear()
        assert len(listing(ini, "--deleted", capsys=capsys)) == 12
        many = [s for s in statements if "servers" in s]
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert len(few) == len(many) == 1


def test_show_json_has_every_field(ini, db_url, capsys):
    ids = seed(db_url)
    code, out, _ = run(ini, "server-show", str(ids["web1"]), "--json", capsys=capsys)
    assert code == 0
    shown = json.loads(out)
    assert set(Server.__table__.columns.keys()) <= set(shown)
    assert shown["instance_name"] == f"ops-{ids['web1']}"
    assert shown["status"] == "ACTIVE" and shown["owner"] == "alice" and shown["backend"] == "c1"
    assert shown["backend_job_id"] == 11 and shown["build_progress"] == 100
    assert dt.datetime.fromisoformat(shown["backend_event_time"]) == EVENT_TIME
    assert shown["flavor"] == {"id": shown["flavor_id"], "name": "m1.small", "vcpus": 1,
                               "ram_mib": 2048, "disk_gib": 20}
    assert shown["image"]["name"] == "debian-12" and shown["image"]["id"] == shown["image_id"]
    assert shown["nics"] == [{"index": 0, "mac": "aa:00:00:00:00:01", "ipv4": "10.0.0.5",
                              "ipv6": None, "link": "br0", "network": "public"}]
    assert shown["metadata"] == {"role": "frontend"}


def test_show_text_includes_the_fault_and_works_for_deleted_servers(ini, db_url, capsys):
    ids = seed(db_url)
    code, out, _ = run(ini, "server-show", str(ids["broken"]), capsys=capsys)
    assert code == 0
    fields = {line.split(None, 1)[0]: line.split(None, 1)[1:] for line in out.splitlines()
              if line.strip()}
    assert fields["fault_message"] == ["disk template not allowed"]
    assert fields["status"] == ["ERROR"] and fields["instance_name"] == [f"ops-{ids['broken']}"]
    assert fields["flavor"][0].startswith("m1.small")
    code, out, _ = run(ini, "server-show", str(ids["gone"]), "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["deleted"] is True
    assert json.loads(out)["status"] == "DELETED" and json.loads(out)["nics"] == []


def test_show_unknown_id_exits_2(ini, db_url, capsys):
    seed(db_url)
    code, out, err = run(ini, "server-show", "999999", capsys=capsys)
    assert code == 2 and out == ""
    assert "server-show: error: server 999999 not found" in err
