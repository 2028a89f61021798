"""A schema-driven fuzz of the JSON API (schemathesis, from the served OpenAPI document).

Every operation gets valid and invalid requests, as an admin, an operator and nobody: no answer is a
5xx, every answer matches the document (status code, content type, body schema), requests that break
the schema are refused, and a refused request (any 4xx) changes no row in any table.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from centre import communicator_types
from tests.web.fixtures import CLIENT, bearer, failed_execution, snapshot

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 150  # per backend: 15 to 30 s each


@pytest.fixture
def no_carrier_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test connection would try whatever address the fuzz invented: answer without the network."""
    answer = communicator_types.ConnectionTest(False, "not called in the fuzz")
    monkeypatch.setattr(communicator_types, "check_connection", lambda account, timeout_s: answer)


def test_the_api_survives_a_schema_driven_fuzz(
    app: FastAPI, world: dict[str, str], no_carrier_calls: None
) -> None:
    execution_id = failed_execution()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    known = {"code": CLIENT, "execution_id": execution_id, "comm_id": 1, "name": "new_client_template"}
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(schema.as_strategy(mode))
        # The same with ids that exist, so that the fuzz reaches the services, not only the 404s.
        for operation in schema.get_all_operations():
            op = operation.ok()
            fixed = {p.name: known[p.name] for p in op.path_parameters if p.name in known}
            if fixed:
                strategies.append(op.as_strategy(mode, path_parameters=fixed))
    # "nobody" keeps the Authorization header schemathesis made up (a random bearer, or none).
    who = {"admin": bearer(world["admin_token"]), "operator": bearer(world["operator_token"]), "nobody": {}}
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        derandomize=True,  # the same cases every run: a failure is a finding, not a coin toss
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), caller=st.sampled_from(["admin", "admin", "operator", "nobody"]))
    def fuzz(case: schemathesis.Case, caller: str) -> None:
        if who[caller]:
            # Replacing the container makes schemathesis re-check whether the case still breaks the schema.
            case.headers = {**(case.headers or {}), **who[caller]}
        before = snapshot()
        response = case.call()
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)
        if 400 <= response.status_code < 500:
            assert snapshot() == before, (
                f"{case.method} {case.formatted_path} answered {response.status_code}"
            )

    started = time.monotonic()
    fuzz()
    assert time.monotonic() - started < 60
    assert not [code for code in seen if code >= 500]
    assert {200, 401, 403, 404, 422} <= set(seen), seen  # the fuzz reached past authentication and checks
