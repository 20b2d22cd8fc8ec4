"""schemathesis fuzzes a real waitress server with the API's own OpenAPI document.

For each operation of ``/openapi.json`` it sends ``EXAMPLES`` generated requests (a fixed seed
and hypothesis's derandomize, so CI sees the same requests every run) with a real token, and
checks every answer: no 5xx, a documented status, content type, headers and body schema. It
runs on SQLite and on PostgreSQL and prints its figures (quoted in the README).
"""
from __future__ import annotations

import collections

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from synnefo.testing import databases

EXAMPLES = 25   # per operation; the whole run is about a minute per database here
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzzed_server(request, make_live_server):
    """A live server on SQLite or on a fresh PostgreSQL database, with a demo server in it."""
    extra = {}
    if request.param == "postgresql":
        try:
            url = databases.create_database("postgresql")
        except databases.ServerUnavailable as exc:
            if databases.in_ci():
                pytest.fail(f"CI needs PostgreSQL: {exc}")
            pytest.skip(str(exc))
        request.addfinalizer(lambda: databases.drop_database(url))
        extra["synnefo.db_url"] = url
    return make_live_server(**extra)


def _token(server) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "demo", "password": "demo-secret",
                 "domain": {"name": "Default"}}}}}}
    response = requests.post(f"{server.url}/identity/v3/auth/tokens", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def _fuzz(operation, session, base_url, headers, tally) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        merged = {**headers, **(case.headers or {})}
        response = case.call(base_url=base_url, session=session, headers=merged)
        tally[response.status_code // 100] += 1
        case.validate_response(response, checks=CHECKS)
    run()


def test_schemathesis_finds_no_server_error_and_no_break_of_the_document(fuzzed_server):
    server = fuzzed_server
    token = _token(server)
    requests.post(f"{server.url}/compute/v2.1/servers", timeout=30, headers={
        "X-Auth-Token": token}, json={"server": {"name": "fuzz", "imageRef": server.image_id(),
                                                 "flavorRef": "1", "networks": "none"}})
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    tally: collections.Counter = collections.Counter()
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            _fuzz(operation, session, server.url, {"X-Auth-Token": token}, tally)
    examples = sum(tally.values())
    print(f"\nschemathesis on {server.core.engine.dialect.name}: {operations} operations, "
          f"{examples} requests ({EXAMPLES} examples at most per operation), answers by class "
          f"{dict(sorted(tally.items()))}, 0 server errors, 0 responses breaking the document")
    assert operations >= 45 and tally[5] == 0
