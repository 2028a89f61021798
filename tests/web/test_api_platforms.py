"""Communicator types of the other platforms through the JSON API: the CLI's twin."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.fixtures import bearer

TOKEN = "emnify-app-token-web-1"


@pytest.fixture
def database(sqlite_database: str) -> str:
    """Communicator types do not depend on the backend: SQLite only."""
    return sqlite_database


def test_an_emnify_type_without_user_name_and_its_published_limit(
    app_client: TestClient, world: dict[str, str]
) -> None:
    headers = bearer(world["admin_token"])
    body = {
        "name": "Roaming",
        "kind": "emnify",
        "server_address": "http://127.0.0.1:1/api/v1",
        "api_key": TOKEN,
    }
    created = app_client.post("/api/communicator-types", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["user_name"], created.json()["calls_per_second"]) == ("application token", 6.5)
    assert TOKEN not in created.text
    too_fast = app_client.post(
        "/api/communicator-types", headers=headers, json={**body, "name": "Fast", "calls_per_second": 50}
    )
    assert too_fast.status_code == 422
    assert "published limit" in too_fast.json()["detail"]
    refused = app_client.post(
        "/api/communicator-types", headers=bearer(world["operator_token"]), json={**body, "name": "Op"}
    )
    assert refused.status_code == 403


def test_a_kore_oauth2_type_with_its_client_id_and_write_only_client_secret(
    app_client: TestClient, world: dict[str, str]
) -> None:
    body = {
        "name": "KORE",
        "kind": "supersim-oauth2",
        "server_address": "https://supersim.api.korewireless.com/v1",
        "user_name": "kore-client-2",
        "api_key": "client-secret-web-3",
    }
    refused = app_client.post("/api/communicator-types", headers=bearer(world["operator_token"]), json=body)
    assert refused.status_code == 403
    created = app_client.post("/api/communicator-types", headers=bearer(world["admin_token"]), json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["kind"], created.json()["user_name"]) == ("supersim-oauth2", "kore-client-2")
    assert "client-secret-web-3" not in created.text
    listed = app_client.get("/api/communicator-types", headers=bearer(world["admin_token"]))
    assert "client-secret-web-3" not in listed.text
    empty = app_client.post(
        "/api/communicator-types",
        headers=bearer(world["admin_token"]),
        json={**body, "name": "Empty", "api_key": " "},
    )
    assert empty.status_code == 422
    assert "client secret" in empty.json()["detail"]
