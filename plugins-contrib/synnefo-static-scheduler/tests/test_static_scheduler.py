"""``static-scheduler``: flavors matching a rule land on the pinned backend; others fall back."""
import pytest

from synnefo.core import plugins
from synnefo.core.errors import ConfigurationError

LARGE, TINY = "4", "1"   # flavor ids of the demo catalogue: m1.large, m1.tiny
RULES = "\n    m1.large = big\n    gpu.* = gpu-cluster"
ENABLED = {"hooks": "default-scheduler static-scheduler", "static_scheduler.rules": RULES}


def test_it_is_installed_from_this_distribution():
    found = {p.name: p for p in plugins.installed("synnefo.hooks")}
    assert found["static-scheduler"].distribution == "synnefo-static-scheduler"


def test_a_pinned_flavor_always_lands_on_its_backend(clusters):
    deployment = clusters(**ENABLED)
    assert deployment.create_on(TINY) == "fake1"
    # Without the pin the second large server would go to the emptier fake1.
    assert [deployment.create_on(LARGE) for _ in range(2)] == ["big", "big"]


def test_other_flavors_are_left_to_the_default_scheduler(clusters):
    deployment = clusters(**ENABLED)
    assert deployment.create_on(LARGE) == "big"
    assert [deployment.create_on(TINY) for _ in range(3)] == ["fake1", "fake1", "big"]


def test_a_drained_pinned_backend_falls_back(clusters):
    deployment = clusters(**ENABLED)
    deployment.drain("big")
    assert deployment.create_on(LARGE) == "fake1"


def test_installed_but_not_listed_in_synnefo_hooks_means_disabled(clusters):
    deployment = clusters(hooks="default-scheduler", **{"static_scheduler.rules": RULES})
    assert [deployment.create_on(LARGE) for _ in range(2)] == ["fake1", "big"]


@pytest.mark.parametrize("rules", ["\n    m1.large big", ""])
def test_bad_or_missing_rules_stop_start_up_naming_the_key(clusters, rules):
    with pytest.raises(ConfigurationError, match=r"synnefo\.static_scheduler\.rules"):
        clusters(hooks="default-scheduler static-scheduler", **{"static_scheduler.rules": rules})
