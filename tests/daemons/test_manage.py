"""snf-manage seeds a deployment: users, flavors, images, backends, schema, plugins."""
import json

import pytest
import sqlalchemy as sa

from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import ApiToken, Backend, Image, User
from synnefo.core.services import accounts
from synnefo.daemons.manage import main
from managelib import migrated_ini, run
from synnefo.testing.inifiles import write_ini


@pytest.fixture
def ini(tmp_path, db_url):
    return migrated_ini(tmp_path, {"db_url": db_url, "backend_drivers": "fake ganeti",
                                       "console_proxy": "fake"})




def session_for(db_url):
    return sa.orm.Session(make_engine(db_url))


def test_db_upgrade_reports_and_current_checks(ini, capsys):
    capsys.readouterr()
    code, out, _ = run(ini, "db", "current", capsys=capsys)
    assert code == 0 and "latest" in out


def test_user_create_prints_a_working_token(ini, db_url, capsys):
    code, out, _ = run(ini, "user-create", "alice", "--password", "pw", "--max-servers", "3",
                       capsys=capsys)
    assert code == 0
    token = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("token: "))
    with session_for(db_url) as session:
        user = accounts.authenticate_token(session, token)
        assert user is not None and user.name == "alice" and user.max_servers == 3
        assert accounts.authenticate_password(session, "alice", "pw").id == user.id
        assert accounts.authenticate_password(session, "alice", "wrong") is None
        stored = session.scalars(sa.select(ApiToken.token_hash)).all()
        assert token not in stored  # only the hash is kept


def test_duplicate_user_is_a_clear_error(ini, capsys):
    run(ini, "user-create", "bob", capsys=capsys)
    code, _, err = run(ini, "user-create", "bob", capsys=capsys)
    assert code != 0 and "already exists" in err


def test_flavors_images_and_backends(ini, db_url, capsys):
    assert run(ini, "flavor-create", "m1.small", "--vcpus", "1", "--ram", "2048", "--disk", "20",
               capsys=capsys)[0] == 0
    code, out, _ = run(ini, "flavor-list", "--json", capsys=capsys)
    assert [f["name"] for f in json.loads(out)] == ["m1.small"]
    assert run(ini, "image-register", "debian-12", "--ref", "debian.diskdump", "--meta", "os=debian",
               capsys=capsys)[0] == 0
    assert run(ini, "backend-add", "c1", "--no-check", "--driver", "ganeti", "--rapi-url",
               "https://c1:5080", "--credentials", "env:C1_PW", "--option", 'ca_file="/etc/c1.pem"', capsys=capsys)[0] == 0
    assert run(ini, "backend-modify", "c1", "--drained", "yes", capsys=capsys)[0] == 0
    with session_for(db_url) as session:
        image = session.scalars(sa.select(Image)).one()
        assert image.backend_ref == "debian.diskdump" and image.metadata_items[0].key == "os"
        backend = session.scalars(sa.select(Backend)).one()
        assert backend.drained and backend.options == {"ca_file": "/etc/c1.pem"}
        assert backend.credentials_ref == "env:C1_PW"


def test_backend_with_a_disabled_driver_is_refused(ini, capsys):
    with pytest.raises(SystemExit, match="not enabled"):
        main(["-c", ini, "backend-add", "x", "--driver", "nonexistent"])


def test_plugins_lists_installed_and_enabled(ini, capsys):
    code, out, _ = run(ini, "plugins", "--json", capsys=capsys)
    rows = {(r["group"], r["name"]): r for r in json.loads(out)}
    assert rows[("synnefo.backend_drivers", "fake")]["enabled"] is True
    assert rows[("synnefo.console_proxies", "vncauthproxy")]["enabled"] is False
    assert "synnefo" in rows[("synnefo.message_handlers", "ganeti-op-status")]["distribution"]


def test_missing_config_file_is_a_clear_error(tmp_path, capsys):
    code = main(["-c", str(tmp_path / "nope.ini"), "flavor-list"])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_bad_setting_stops_with_the_key(tmp_path, capsys):
    path = write_ini(tmp_path, {"amqp_prefetch": "many"})
    assert main(["-c", str(path), "flavor-list"]) == 2
    assert "synnefo.amqp_prefetch" in capsys.readouterr().err


def test_user_modify_changes_quotas_and_password(ini, db_url, capsys):
    run(ini, "user-create", "carol", "--password", "old", capsys=capsys)
    code, out, _ = run(ini, "user-modify", "carol", "--max-cores", "64", "--password", "new",
                       capsys=capsys)
    assert code == 0 and "max_cores=64" in out
    with session_for(db_url) as session:
        assert accounts.find_user(session, "carol").max_cores == 64
        assert accounts.authenticate_password(session, "carol", "new") is not None
        assert accounts.authenticate_password(session, "carol", "old") is None
    code, _, err = run(ini, "user-modify", "nobody", "--max-cores", "1", capsys=capsys)
    assert code == 2 and "not found" in err
    code, _, err = run(ini, "user-modify", "carol", "--max-servers", "-1", capsys=capsys)
    assert code == 2 and "negative" in err
