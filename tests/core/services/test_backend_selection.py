"""A create offers select_backend plain candidates and places the server on the chosen row."""
import types

import pluggy
import pytest
from sqlalchemy.orm import Session

from synnefo.core import hookspecs
from synnefo.core.contracts.scheduling import BackendCandidate
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Backend
from synnefo.core.hookspecs import hookimpl
from synnefo.core.plugins import Hooks
from synnefo.core.services import accounts, catalog
from synnefo.core.services.servers import ServerService


class Answer:
    """A scheduler plugin that records what it was offered and answers ``pick(candidates)``."""

    def __init__(self, pick):
        self.pick, self.offered = pick, None

    @hookimpl
    def select_backend(self, backends, flavor, owner):
        self.offered = list(backends)
        return self.pick(backends)


def service(tmp_path, plugin):
    engine = make_engine(f"sqlite:///{tmp_path}/s.sqlite")
    migrate.upgrade(engine)
    session = Session(engine)
    owner = accounts.create_user(session, "u")
    flavor = catalog.create_flavor(session, "f", 1, 512, 1)
    for name in ("a", "b"):
        catalog.add_backend(session, name, "fake")
    session.flush()
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)
    core = types.SimpleNamespace(hooks=Hooks(pm))
    return ServerService(types.SimpleNamespace(session=session), core), owner, flavor


def test_the_hook_gets_plain_candidates_and_the_server_its_backend_row(tmp_path):
    plugin = Answer(lambda backends: backends[-1])
    svc, owner, flavor = service(tmp_path, plugin)
    chosen = svc._select_backend(owner, flavor)
    assert isinstance(chosen, Backend) and chosen.name == "b"
    assert [(c.name, c.load) for c in plugin.offered] == [("a", 0), ("b", 0)]
    assert all(type(c) is BackendCandidate for c in plugin.offered)


def test_an_answer_that_is_not_a_candidate_is_refused_naming_it(tmp_path):
    svc, owner, flavor = service(tmp_path, Answer(lambda _: BackendCandidate(99, "elsewhere", 0)))
    with pytest.raises(TypeError, match="elsewhere.*not one of its candidates"):
        svc._select_backend(owner, flavor)
