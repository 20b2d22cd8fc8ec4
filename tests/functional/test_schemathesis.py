"""schemathesis fuzzes a real waitress server with the API's own OpenAPI document.

For each operation of ``/openapi.json`` it sends ``EXAMPLES`` generated requests, valid and
invalid by the document (hypothesis's derandomize: CI sees the same requests every run), with
a real token, and checks every answer: no 5xx, a documented status, content type, headers and body schema. It
runs on SQLite and on PostgreSQL and prints its figures (quoted in the README).
"""
from __future__ import annotations

import collections

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from synnefo.testing import databases

EXAMPLES = 20   # per operation; the whole run is about a minute per database here
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_db_url(request):
    """None (the live server's own SQLite file) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with databases.throwaway_database("postgresql") as url:
        yield url


@pytest.fixture
def fuzzed_server(fuzz_db_url, make_live_server):
    """A live server on that database (stopped before the database is dropped)."""
    return make_live_server(**({"synnefo.db_url": fuzz_db_url} if fuzz_db_url else {}))


def _token(server) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "demo", "password": "demo-secret",
                 "domain": {"name": "Default"}}}}}}
    response = requests.post(f"{server.url}/identity/v3/auth/tokens", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def _create_server(server, token: str, name: str) -> str:
    response = requests.post(f"{server.url}/compute/v2.1/servers", timeout=30, headers={
        "X-Auth-Token": token}, json={"server": {"name": name, "imageRef": server.image_id(),
                                                 "flavorRef": "1", "networks": "none",
                                                 "metadata": {"k": "v"}}})
    assert response.status_code == 202, response.text
    return response.json()["server"]["id"]


def _real_ids(server, token: str) -> dict:
    """Path parameters naming objects that exist, so that requests get past the 404s."""
    server_id = _create_server(server, token, "fuzz")
    project = requests.get(f"{server.url}/compute/v2.1/servers/{server_id}", timeout=30,
                           headers={"X-Auth-Token": token}).json()["server"]["tenant_id"]
    return {"server_id": server_id, "flavor_id": "1",
            "image_id": server.image_id(), "project_id": project, "key": "k"}


def _strategy(operation, real: dict, doomed: str):
    """Valid and invalid requests (by the document), half of them naming objects that exist
    (DELETE gets its own server)."""
    names = {p.name for p in operation.path_parameters}
    fixed = {name: real[name] for name in names if name in real}
    if operation.method.upper() == "DELETE" and "server_id" in fixed:
        fixed["server_id"] = doomed
    strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
    if fixed:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=fixed)
                       for mode in MODES]
    return st.one_of(strategies)


def _fuzz(operation, strategy, session, base_url, headers, tally) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        merged = {**(case.headers or {}), **headers}   # the real token, not a generated one
        response = case.call(base_url=base_url, session=session, headers=merged)
        tally[response.status_code // 100] += 1
        case.validate_response(response, checks=CHECKS)
    run()


def test_schemathesis_finds_no_server_error_and_no_break_of_the_document(fuzzed_server):
    server = fuzzed_server
    token = _token(server)
    doomed = _create_server(server, token, "fuzz-delete")
    real = _real_ids(server, token)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    tally: collections.Counter = collections.Counter()
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            _fuzz(operation, _strategy(operation, real, doomed), session, server.url,
                  {"X-Auth-Token": token}, tally)
    examples = sum(tally.values())
    print(f"\nschemathesis on {server.core.engine.dialect.name}: {operations} operations, "
          f"{examples} requests ({EXAMPLES} examples at most per operation), answers by class "
          f"{dict(sorted(tally.items()))}, 0 server errors, 0 responses breaking the document")
    assert operations >= 45 and tally[5] == 0
