import pytest

from synnefo.core.domain.naming import InstanceNaming


def test_round_trip_with_default_prefix():
    naming = InstanceNaming()
    assert naming.instance_name(42) == "snf-42"
    assert naming.server_id("snf-42") == 42
    assert naming.routing_prefix == "snf"


@pytest.mark.parametrize("name", ["snf-", "snf-4a", "other-42", "snf-042", "snf--1", "snf-٤٢", None, 42])
def test_names_that_are_not_ours(name):
    assert InstanceNaming().server_id(name) is None


def test_prefix_with_digits_strips_exactly_once():
    # The original stripped a character set, which broke prefixes containing digits.
    naming = InstanceNaming("snf1-")
    assert naming.server_id("snf1-11") == 11
    assert naming.routing_prefix == "snf1"


def test_prefix_needs_a_dash():
    # A domain error; the settings schema names the setting first (tests/core/test_settings.py).
    with pytest.raises(ValueError, match="dash"):
        InstanceNaming("snf")

