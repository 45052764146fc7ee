"""Schemathesis over the OpenAPI document (`/api/schema/`): every operation, on PostgreSQL.

Each operation gets FUZZ_REST_EXAMPLES generated requests (10 by default; derandomized,
so a CI run is reproducible) with a manager's token, and three checks: no server error,
every status documented for the operation, every body matching its documented schema.
The requests go through Django's whole WSGI stack in the test's transaction (rolled back
after each operation); `make fuzz` runs it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from cs_platform.core.throttling import TokenRateThrottle

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_REST_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


class WSGIInTestTransaction:
    """Django's WSGI handler, without the connection recycling that would close the
    test's connection (and its transaction) at every request — as Django's test client
    does it."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            # A savepoint per request, as each request has its own transaction in
            # production: one server error does not abort the next requests' queries.
            body = b""
            try:
                with transaction.atomic():
                    response = self.handler(environ, start_response)
                    body = b"".join(response)
                    response.close()
            except DatabaseError:
                pass  # rolled back to the savepoint; the answer (a 500) stands
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture
def rest_schema(client, staff, portfolio, settings, monkeypatch):
    # The fuzz sends more than a token's rate allows; the limit is not what is tested.
    rates = {"token": "100000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    client.force_login(staff["manager"])
    document = client.get("/api/schema/?format=json").json()
    client.logout()
    schema = schemathesis.openapi.from_dict(document)
    # The coverage phase sends ~100 boundary cases per operation (7,000 requests): over
    # the time bound. Fuzzing (bounded by max_examples) and the documented examples run.
    schema.config.phases.coverage.enabled = False
    schema.app = WSGIInTestTransaction()
    return schema


@pytest.fixture
def manager_token(staff, make_token) -> str:
    return make_token(staff["manager"])


schema = schemathesis.pytest.from_fixture("rest_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_never_answers_a_server_error(case, manager_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {manager_token}"}, checks=CHECKS)
