"""A database that cannot be reached answers 503 (which clients retry), never a 500: seen when
PostgreSQL restarts under load in the multi-host test."""
from __future__ import annotations

import webtest

from synnefo.web import make_app

from conftest import build_test_core

UNREACHABLE = "postgresql+psycopg://synnefo@127.0.0.1:9/nowhere?connect_timeout=2"


def test_an_unreachable_database_answers_503_with_a_fault_body():
    core = build_test_core(UNREACHABLE)
    try:
        app = webtest.TestApp(make_app(core))
        response = app.get("/compute/v2.1/servers", headers={"X-Auth-Token": "some-token"},
                           expect_errors=True)
    finally:
        core.close()
    assert response.status_int == 503
    fault = response.json["serviceUnavailable"]
    assert fault["code"] == 503 and "database" in fault["message"]
    assert response.headers["Retry-After"]
