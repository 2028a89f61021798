"""Operators and admins: an operator gets 403 on every admin page and every admin API call."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.fixtures import Browser, bearer, client_id, page_routes, snapshot


@pytest.fixture
def database(sqlite_database: str) -> str:
    """Roles do not depend on the backend: SQLite only."""
    return sqlite_database


def _filled(path: str) -> str:
    path = path.replace("{name}", "default_commission_date_to_current_time")
    for name in ("comm_id", "task_id", "owner_id", "event_type_id", "plan_id", "entry_id", "assignment_id"):
        path = path.replace("{" + name + "}", "1")
    for name in ("override_id", "user_id", "account_id", "token_id"):
        path = path.replace("{" + name + "}", "1")
    return path


def _admin_pages(method: str) -> list[str]:
    return sorted({_filled(p) for m, p in page_routes() if m == method and p.startswith("/admin")})


def test_an_operator_gets_403_on_every_admin_page(operator: Browser, admin: Browser) -> None:
    pages = _admin_pages("GET")
    assert len(pages) >= 12
    for path in pages:
        answer = operator.http.get(path)
        assert answer.status_code == 403, path
        assert "for admins" in answer.text
        assert admin.http.get(path).status_code == 200, path


def test_an_operator_cannot_post_to_admin_pages_or_admin_client_actions(operator: Browser) -> None:
    operator.page("/clients")
    before = snapshot()
    targets = [
        *_admin_pages("POST"),
        f"/clients/{client_id()}/devices",
        f"/clients/{client_id()}/dealer",
        "/clients",
    ]
    for path in targets:
        answer = operator.post(
            path, {"name": "X", "code": "X1", "value": "true", "password": "long enough pw"}
        )
        assert answer.status_code == 403, path
    assert snapshot() == before


def test_operators_see_no_configuration_link_and_no_admin_forms(operator: Browser, admin: Browser) -> None:
    page = operator.page(f"/clients/{client_id()}")
    assert 'href="/admin"' not in page
    assert "Add device" not in page
    assert "Commission" in page
    assert "Add a client" not in operator.page("/clients")
    assert 'href="/admin"' in admin.page(f"/clients/{client_id()}")
    assert "Add device" in admin.page(f"/clients/{client_id()}")


def _admin_operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every API operation whose description says it is for admins."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            refused = operation["responses"].get("403", {}).get("description", "")
            if refused.endswith("(admin only)"):
                found.append((method.upper(), path))
    return found


def test_an_operator_token_gets_403_on_every_admin_api_call(
    app: FastAPI, app_client: TestClient, world: dict[str, str]
) -> None:
    operations = _admin_operations(app)
    assert len(operations) >= 8
    bodies = {
        "POST": {
            "name": "X",
            "server_address": "https://x.example/rws/api/v1",
            "user_name": "u",
            "api_key": "k",
        },
        "PATCH": {"user_name": "other"},
        "PUT": {"value": "true"},
    }
    before = snapshot()
    for method, path in operations:
        url = path.replace("{comm_id}", "1").replace("{name}", "default_commission_date_to_current_time")
        url = url.replace("{code}", "C1")
        answer = app_client.request(
            method, url, headers=bearer(world["operator_token"]), json=bodies.get(method)
        )
        assert answer.status_code == 403, (method, url, answer.text)
        assert answer.json() == {"detail": "this call needs an API token with the admin role", "errors": []}
    assert snapshot() == before


def test_operator_api_calls_are_open_to_operator_tokens(
    app_client: TestClient, world: dict[str, str]
) -> None:
    headers = bearer(world["operator_token"])
    assert app_client.get("/api/clients", headers=headers).status_code == 200
    assert app_client.get("/api/clients/C1", headers=headers).status_code == 200
    assert app_client.post("/api/clients/C1/commission", headers=headers, json={}).status_code == 200
