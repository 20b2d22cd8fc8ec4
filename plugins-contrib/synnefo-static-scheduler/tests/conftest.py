"""A deployment with two fake clusters, built from an .ini on disk."""
import pytest
import sqlalchemy as sa

from synnefo.core.db.models import Backend, Server
from synnefo.core.services import catalog
from synnefo.testing.deployment import Deployment


class TwoClusters(Deployment):
    """``fake1`` (seeded from the .ini) plus ``big``, added as an operator would."""

    def __init__(self, directory, **settings):
        super().__init__(directory, **settings)
        with self.core.uow() as uow:
            catalog.add_backend(uow.session, "big", "fake")
            uow.commit()

    def create_on(self, flavor: str) -> str:
        """Create a server of ``flavor``; the name of the backend it was placed on."""
        server_id = int(self.create_server("vm", flavor=flavor).json["server"]["id"])
        with self.core.uow() as uow:
            return uow.session.scalar(sa.select(Backend.name).join(Server)
                                      .where(Server.id == server_id))

    def drain(self, name: str) -> None:
        with self.core.uow() as uow:
            catalog.get_backend(uow.session, name).drained = True
            uow.commit()

    def close(self) -> None:
        for name in ("fake1", "big"):
            self.settle(name)
        super().close()


@pytest.fixture
def clusters(tmp_path):
    """``clusters(**settings)`` -> a running ``TwoClusters``; closed after the test."""
    built = []

    def factory(**settings):
        built.append(TwoClusters(tmp_path / f"d{len(built)}", **settings))
        return built[-1]
    yield factory
    for deployment in built:
        deployment.close()
