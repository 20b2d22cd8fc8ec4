"""snf-manage user-disable, user-enable, user-delete (--force) and token-revoke; a password
change through user-modify revokes the user's tokens."""
import pytest
import sqlalchemy as sa

from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Backend, Flavor, Keypair, Server, User
from synnefo.core.services import accounts
from managelib import migrated_ini, run


@pytest.fixture
def ini(tmp_path, db_url):
    return migrated_ini(tmp_path, {"db_url": db_url, "backend_drivers": "fake",
                                       "console_proxy": "fake", "fake.job_delay": "0.01"})




def token_of(out: str) -> str:
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("token: "))


def user_token(ini, name, capsys) -> str:
    return token_of(run(ini, "user-create", name, "--password", "pw", capsys=capsys)[1])


def owner_of(db_url, token):
    with sa.orm.Session(make_engine(db_url)) as session:
        user = accounts.authenticate_token(session, token)
        return user.name if user else None


def add_servers(db_url, name, **states):
    """Servers of user ``name``: ``{server name: deleted?}``; the live ones on a fake backend."""
    with sa.orm.Session(make_engine(db_url)) as session, session.begin():
        user = session.scalar(sa.select(User).where(User.name == name))
        flavor = Flavor(name=f"f-{name}", vcpus=1, ram_mib=512, disk_gib=1)
        backend = Backend(name=f"b-{name}", driver="fake")
        session.add(Keypair(user_id=user.id, name="k", public_key="ssh-ed25519 AAAA",
                            fingerprint="00"))
        for server_name, deleted in states.items():
            session.add(Server(owner=user, name=server_name, flavor=flavor, backend=backend,
                               operstate="DESTROYED" if deleted else "STARTED", deleted=deleted))


def test_disable_revokes_tokens_and_enable_allows_login_again(ini, db_url, capsys):
    token = user_token(ini, "alice", capsys)
    code, out, _ = run(ini, "user-disable", "alice", capsys=capsys)
    assert code == 0 and "1 token(s) revoked" in out
    assert owner_of(db_url, token) is None
    with sa.orm.Session(make_engine(db_url)) as session:
        assert accounts.authenticate_password(session, "alice", "pw") is None
    assert run(ini, "user-enable", "alice", capsys=capsys)[0] == 0
    with sa.orm.Session(make_engine(db_url)) as session:
        assert accounts.authenticate_password(session, "alice", "pw").name == "alice"


def test_token_revoke_one_or_all(ini, db_url, capsys):
    first = user_token(ini, "alice", capsys)
    second = token_of(run(ini, "token-create", "alice", capsys=capsys)[1])
    bobs = user_token(ini, "bob", capsys)
    code, out, _ = run(ini, "token-revoke", f"--token={first}", capsys=capsys)
    assert code == 0 and "alice" in out
    assert owner_of(db_url, first) is None and owner_of(db_url, second) == "alice"
    code, _, err = run(ini, "token-revoke", f"--token={first}", capsys=capsys)
    assert code != 0 and "no such token" in err
    code, out, _ = run(ini, "token-revoke", "--user", "alice", capsys=capsys)
    assert code == 0 and "1 token(s)" in out and owner_of(db_url, second) is None
    assert owner_of(db_url, bobs) == "bob"


def test_password_change_revokes_tokens(ini, db_url, capsys):
    token = user_token(ini, "alice", capsys)
    code, out, _ = run(ini, "user-modify", "alice", "--password", "new", capsys=capsys)
    assert code == 0 and "1 token(s) revoked" in out
    assert owner_of(db_url, token) is None


def test_delete_is_refused_while_servers_live(ini, db_url, capsys):
    token = user_token(ini, "alice", capsys)
    add_servers(db_url, "alice", web=False, old=True)
    code, _, err = run(ini, "user-delete", "alice", capsys=capsys)
    assert code != 0 and "1 live server" in err and "--force" in err
    assert owner_of(db_url, token) == "alice"


def test_delete_removes_a_user_without_live_servers(ini, db_url, capsys):
    user_token(ini, "alice", capsys)
    add_servers(db_url, "alice", old=True)
    code, out, _ = run(ini, "user-delete", "alice", capsys=capsys)
    assert code == 0 and "deleted" in out
    with sa.orm.Session(make_engine(db_url)) as session:
        assert session.scalar(sa.select(User).where(User.name == "alice")) is None
        assert session.scalars(sa.select(Server)).all() == []
        assert session.scalars(sa.select(Keypair)).all() == []


def test_forced_delete_submits_server_deletions_first(ini, db_url, capsys):
    user_token(ini, "alice", capsys)
    bobs = user_token(ini, "bob", capsys)
    add_servers(db_url, "alice", web=False, db=False)
    code, out, _ = run(ini, "user-delete", "alice", "--force", capsys=capsys)
    assert code == 0 and out.count("deletion submitted") == 2
    with sa.orm.Session(make_engine(db_url)) as session:
        assert session.scalar(sa.select(User).where(User.name == "alice")) is None
        assert session.scalars(sa.select(Server)).all() == []
    assert owner_of(db_url, bobs) == "bob"


def test_unknown_user_is_a_clear_error(ini, capsys):
    for command in ("user-disable", "user-enable", "user-delete"):
        code, _, err = run(ini, command, "ghost", capsys=capsys)
        assert code != 0 and "ghost" in err
