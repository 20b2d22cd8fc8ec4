"""The built-in select_backend hook: fewest servers wins; other plugins answer first."""
import pluggy
from sqlalchemy.orm import Session

from synnefo.core import hookspecs
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Server
from synnefo.core.plugins import Hooks
from synnefo.core.hookspecs import hookimpl
from synnefo.core.services import accounts, catalog
from synnefo.plugins.hooks import scheduler


def make_hooks(*plugins):
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for i, plugin in enumerate(plugins):
        pm.register(plugin, name=f"p{i}")
    return Hooks(pm)


def populated(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/s.sqlite")
    migrate.upgrade(engine)
    session = Session(engine)
    user = accounts.create_user(session, "u")
    flavor = catalog.create_flavor(session, "f", 1, 512, 1)
    a, b, c = (catalog.add_backend(session, n, "fake") for n in ("a", "b", "c"))
    for backend, count in ((a, 2), (b, 1), (c, 1)):
        for _ in range(count):
            session.add(Server(owner_id=user.id, name="s", flavor_id=flavor.id,
                               backend_id=backend.id))
    session.add(Server(owner_id=user.id, name="gone", flavor_id=flavor.id, backend_id=b.id,
                       deleted=True))
    session.flush()
    return session, user, flavor, (a, b, c)


def candidates(session):
    """The plain candidates a create offers the hook, by backend name."""
    return {c.name: c for c in catalog.backend_candidates(session)}


def test_candidates_carry_the_live_server_count_of_enabled_backends(tmp_path):
    session, user, flavor, _ = populated(tmp_path)
    catalog.add_backend(session, "drained", "fake").drained = True
    session.flush()
    assert {name: c.load for name, c in candidates(session).items()} == {"a": 2, "b": 1, "c": 1}


def test_fewest_servers_wins_and_ties_go_to_the_lowest_id(tmp_path):
    session, user, flavor, _ = populated(tmp_path)
    a, b, c = candidates(session).values()
    hooks = make_hooks(scheduler)
    assert hooks.select_backend(backends=[a, b, c], flavor=flavor, owner=user) is b
    assert hooks.select_backend(backends=[a, c], flavor=flavor, owner=user) is c
    assert hooks.select_backend(backends=[], flavor=flavor, owner=user) is None


def test_another_plugin_answers_first(tmp_path):
    session, user, flavor, _ = populated(tmp_path)
    a, b, c = candidates(session).values()

    class PinToA:
        @hookimpl
        def select_backend(self, backends, flavor, owner):
            return next((x for x in backends if x.name == "a"), None)
    hooks = make_hooks(scheduler, PinToA())
    assert hooks.select_backend(backends=[a, b, c], flavor=flavor, owner=user) is a
    assert hooks.select_backend(backends=[b, c], flavor=flavor, owner=user) is b
