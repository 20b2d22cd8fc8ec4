"""A deployment built from an .ini on disk, through the installed entry points."""
import pytest

from synnefo.testing.deployment import Deployment


@pytest.fixture
def deploy(tmp_path):
    """``deploy(**settings)`` -> a running ``Deployment``; closed after the test."""
    built = []

    def factory(**settings):
        built.append(Deployment(tmp_path / f"d{len(built)}", **settings))
        return built[-1]
    yield factory
    for deployment in built:
        deployment.close()
