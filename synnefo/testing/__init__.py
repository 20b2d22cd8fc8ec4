"""Fixtures, simulators and contract-test mixins that plugin authors reuse."""
