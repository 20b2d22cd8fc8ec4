"""Password guessing: lockout per user name and per client address (429 + Retry-After), the
same work for unknown users, disabled users and revoked tokens."""
import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from synnefo.core.db.models import LoginFailure
from synnefo.core.services import accounts

TOKENS = "/identity/v3/auth/tokens"


def auth(name, password, **key):
    user = {"name": name} if not key else key
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        **user, "domain": {"name": "Default"}, "password": password}}}}}


def login(world, name, password, address="192.0.2.1", status=None, **key):
    return world.app.post_json(TOKENS, auth(name, password, **key), status=status,
                               extra_environ={"REMOTE_ADDR": address})


@pytest.fixture
def locking(world_factory):
    return world_factory(lockout_failure_attempts="3", lockout_address_failure_attempts="5",
                         lockout_duration="600")


def test_user_name_is_locked_after_the_allowed_failures(locking):
    for _ in range(3):
        login(locking, "alice", "wrong", status=401)
    response = login(locking, "alice", "alice-pw", status=429)   # even the right password
    assert "overLimit" in response.json and response.json["overLimit"]["code"] == 429
    assert 0 < int(response.headers["Retry-After"]) <= 600
    login(locking, "bob", "bob-pw", address="192.0.2.99", status=201)


def test_lock_counts_the_same_user_by_id_and_by_name(locking):
    login(locking, "alice", "wrong", status=401)
    login(locking, None, "wrong", id=str(locking.alice_id), status=401)
    login(locking, "alice", "wrong", status=401)
    login(locking, None, "alice-pw", id=str(locking.alice_id), status=429)


def test_client_address_is_locked_across_user_names(locking):
    for name in ("u1", "u2", "u3", "u4", "u5"):
        login(locking, name, "guess", address="198.51.100.7", status=401)
    login(locking, "bob", "bob-pw", address="198.51.100.7", status=429)
    login(locking, "bob", "bob-pw", address="198.51.100.8", status=201)


def test_success_clears_the_user_count_but_not_the_address_count(locking):
    for _ in range(2):
        login(locking, "alice", "wrong", status=401)
    login(locking, "alice", "alice-pw", status=201)
    for _ in range(2):
        login(locking, "alice", "wrong", status=401)
    login(locking, "alice", "alice-pw", status=201)
    login(locking, "alice", "wrong", status=401)   # 5th failure from this address
    login(locking, "bob", "bob-pw", status=429)


def test_lock_ends_when_the_failures_are_older_than_the_duration(locking):
    for _ in range(3):
        login(locking, "alice", "wrong", status=401)
    login(locking, "alice", "alice-pw", status=429)
    with locking.core.uow() as uow:   # the clock moves on by the lockout duration
        for row in uow.session.scalars(sa.select(LoginFailure)):
            row.at -= dt.timedelta(seconds=600)
    login(locking, "alice", "alice-pw", status=201)


def test_legacy_login_is_throttled_too(locking):
    headers = {"X-Auth-User": "alice", "X-Auth-Key": "nope"}
    for _ in range(3):
        locking.app.get("/v1.0", headers=headers, status=401)
    response = locking.app.get("/v1.0", headers={**headers, "X-Auth-Key": "alice-pw"}, status=429)
    assert "Retry-After" in response.headers


def test_lockout_can_be_turned_off(world_factory):
    world = world_factory(lockout_failure_attempts="0", lockout_address_failure_attempts="0")
    for _ in range(30):
        login(world, "alice", "wrong", status=401)
    login(world, "alice", "alice-pw", status=201)
    with world.core.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count(LoginFailure.id))) == 0


@pytest.mark.parametrize("name", ["alice", "nobody"])
def test_a_wrong_password_costs_one_hash_whether_or_not_the_user_exists(world, monkeypatch, name):
    accounts._dummy_hash()   # computed once per process, on first use
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    login(world, name, "wrong", status=401)
    assert len(calls) == 1


def test_disabled_user_cannot_log_in_and_their_tokens_stop_working(world):
    with world.core.uow() as uow:
        revoked = accounts.set_disabled(uow.session, accounts.find_user(uow.session, "alice"), True)
    assert revoked == 1
    world.get("/compute/v2.1/servers", status=401)
    login(world, "alice", "alice-pw", status=401)
    with world.core.uow() as uow:
        accounts.set_disabled(uow.session, accounts.find_user(uow.session, "alice"), False)
    token = login(world, "alice", "alice-pw", status=201).headers["X-Subject-Token"]
    world.app.get("/compute/v2.1/servers", headers={"X-Auth-Token": token}, status=200)


def test_disabling_stops_a_token_even_if_its_row_survives(world):
    with world.core.uow() as uow:
        accounts.find_user(uow.session, "alice").disabled = True
    world.get("/compute/v2.1/servers", status=401)
    world.get("/compute/v2.1/servers", user="bob", status=200)


def test_password_change_revokes_every_token(world):
    second = login(world, "alice", "alice-pw", status=201).headers["X-Subject-Token"]
    with world.core.uow() as uow:
        assert accounts.set_password(uow.session, accounts.find_user(uow.session, "alice"),
                                     "new-pw") == 2
    for token in (world.alice_token, second):
        world.app.get("/compute/v2.1/servers", headers={"X-Auth-Token": token}, status=401)
    login(world, "alice", "alice-pw", status=401)
    login(world, "alice", "new-pw", status=201)
    world.get("/compute/v2.1/servers", user="bob", status=200)
