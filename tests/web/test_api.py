"""The JSON API: every operator action's twin, signals from other systems, admin calls; no key ever."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from centre import communicator_types, system_settings
from config import get_config, secrets
from models.db import unit_of_work
from pipeline.outbox import Message
from tests import factories as f
from tests.web.fixtures import CLIENT, bearer, failed_execution, snapshot

KEY = "api-s3cret-key-never-answered"


def test_other_systems_post_signals_through_the_pipeline(
    app_client: TestClient, world: dict[str, str]
) -> None:
    headers = bearer(world["operator_token"])
    answer = app_client.post(
        "/api/signals",
        headers=headers,
        json={"client_code": CLIENT, "type_no": 65516, "memo": "from the receiver"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["client_code"], body["type_no"], body["source"], body["operator"]) == (
        CLIENT,
        65516,
        "API",
        "api:receiver",
    )
    assert body["description"] == "Client Commissioned"
    assert body["action_plan"] == "Commission"
    history = app_client.get(f"/api/clients/{CLIENT}/history", headers=headers).json()
    assert [e["id"] for e in history] == [body["id"]]


def test_refused_signals_change_nothing(app_client: TestClient, world: dict[str, str]) -> None:
    headers = bearer(world["operator_token"])
    before = snapshot()
    cases = [
        ({"client_code": "NOPE", "type_no": 1}, 404),
        ({"client_code": CLIENT, "type_no": 65536}, 422),
        ({"client_code": CLIENT, "type_no": 1, "zone": -1}, 422),
        ({"client_code": CLIENT, "type_no": 1, "memo": "nul \x00 byte"}, 422),
        ({"client_code": CLIENT, "type_no": 1, "memo": "two\nlines"}, 422),
        ({"client_code": CLIENT, "type_no": 1, "extra": True}, 422),
        ({"client_code": "x" * 17, "type_no": 1}, 422),
        ({"type_no": 1}, 422),
    ]
    for body, status in cases:
        answer = app_client.post("/api/signals", headers=headers, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert "detail" in answer.json()
    for raw in (b"{", b"[]", b'"x"', b"\xff\xfe", b'{"client_code": "C1", "type_no": 1e400}'):
        answer = app_client.post(
            "/api/signals", headers={**headers, "Content-Type": "application/json"}, content=raw
        )
        assert answer.status_code == 422, raw
    assert app_client.post("/api/signals", json={"client_code": CLIENT, "type_no": 1}).status_code == 401
    assert snapshot() == before


def test_search_and_read_a_client(app_client: TestClient, world: dict[str, str]) -> None:
    headers = bearer(world["operator_token"])
    found = app_client.get("/api/clients", params={"search": "c1"}, headers=headers).json()
    assert [c["code"] for c in found] == [CLIENT]
    assert app_client.get("/api/clients", params={"search": "zzz"}, headers=headers).json() == []
    detail = app_client.get(f"/api/clients/{CLIENT}", headers=headers).json()
    assert detail["devices"] == [
        {
            "id": detail["devices"][0]["id"],
            "communicator_type": "Jasper",
            "kind": "jasper-rest",
            "device_ref_no": f.iccid(1),
        }
    ]
    assert app_client.get("/api/clients/NOPE", headers=headers).status_code == 404
    assert app_client.get("/api/clients/bad code", headers=headers).status_code == 422


def test_commission_and_decommission(
    app_client: TestClient, world: dict[str, str], published: list[Message]
) -> None:
    headers = bearer(world["operator_token"])
    answer = app_client.post(f"/api/clients/{CLIENT}/commission", headers=headers, json={"memo": "via API"})
    assert answer.status_code == 200
    assert answer.json()["client"]["commissioned_at"] is not None
    assert len(answer.json()["signal_ids"]) == 1
    assert len(published) == 1
    assert app_client.post(f"/api/clients/{CLIENT}/commission", headers=headers).status_code == 200  # no body

    before = snapshot()
    empty = app_client.post(f"/api/clients/{CLIENT}/decommission", headers=headers, json={"reason": "   "})
    assert empty.status_code == 422
    assert empty.json() == {"detail": "decommission reason must not be empty", "errors": []}
    assert snapshot() == before

    answer = app_client.post(
        f"/api/clients/{CLIENT}/decommission", headers=headers, json={"reason": "moved", "offline": True}
    )
    client = answer.json()["client"]
    assert (client["decommission_reason"], client["offline"]) == ("moved", True)
    history = app_client.get(f"/api/clients/{CLIENT}/history", headers=headers).json()
    assert [e["type_no"] for e in history] == [65516, 65516, 65517]
    after = app_client.get(
        f"/api/clients/{CLIENT}/history", params={"after_id": history[1]["id"]}, headers=headers
    )
    assert [e["type_no"] for e in after.json()] == [65517]
    log = app_client.get(f"/api/clients/{CLIENT}/operator-log", headers=headers).json()
    assert {"client.commission", "client.decommission"} <= {e["action"] for e in log}


def test_retry_a_failed_execution(
    app_client: TestClient, world: dict[str, str], published: list[Message]
) -> None:
    headers = bearer(world["operator_token"])
    execution_id = failed_execution()
    published.clear()
    answer = app_client.post(f"/api/executions/{execution_id}/retry", headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "pending"
    assert answer.json()["id"] > execution_id
    assert len(published) == 1
    again = app_client.post(f"/api/executions/{execution_id}/retry", headers=headers)
    assert again.status_code == 409
    assert app_client.post("/api/executions/999999/retry", headers=headers).status_code == 404
    assert app_client.post("/api/executions/0/retry", headers=headers).status_code == 422
    assert app_client.post(f"/api/executions/{2**64}/retry", headers=headers).status_code == 422


def test_admin_adds_a_client_and_a_device(app_client: TestClient, world: dict[str, str]) -> None:
    headers = bearer(world["admin_token"])
    answer = app_client.post("/api/clients", headers=headers, json={"code": "NEW1", "name": "New"})
    assert answer.status_code == 201
    assert (
        app_client.post("/api/clients", headers=headers, json={"code": "NEW1", "name": "New"}).status_code
        == 409
    )
    device = app_client.post(
        "/api/clients/NEW1/devices",
        headers=headers,
        json={"communicator_type": "Jasper", "device_ref_no": f.iccid(5)},
    )
    assert device.status_code == 201
    assert device.json()["device_ref_no"] == f.iccid(5)
    taken = app_client.post(
        "/api/clients/NEW1/devices",
        headers=headers,
        json={"communicator_type": "Jasper", "device_ref_no": f.iccid(1)},
    )
    assert taken.status_code == 409
    assert "already on client C1" in taken.json()["detail"]


def test_communicator_types_never_answer_the_key(app_client: TestClient, world: dict[str, str]) -> None:
    headers = bearer(world["admin_token"])
    body = {
        "name": "Carrier B",
        "server_address": "http://127.0.0.1:1/rws/api/v1",
        "user_name": "u",
        "api_key": KEY,
    }
    created = app_client.post("/api/communicator-types", headers=headers, json=body)
    assert created.status_code == 201
    comm_id = created.json()["id"]
    answers = [
        created,
        app_client.post("/api/communicator-types", headers=headers, json=body),  # 409
        app_client.get("/api/communicator-types", headers=headers),
        app_client.get(f"/api/communicator-types/{comm_id}", headers=headers),
        app_client.patch(
            f"/api/communicator-types/{comm_id}", headers=headers, json={"user_name": "v", "api_key": KEY}
        ),
        app_client.post(f"/api/communicator-types/{comm_id}/test", headers=headers),
        app_client.get("/api/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [201, 409, 200, 200, 200, 200, 200]
    for answer in answers:
        assert KEY not in answer.text
        assert "api_key" not in json.dumps(answer.json()) or answer.request.url.path == "/api/openapi.json"
    test = answers[5].json()
    assert test["ok"] is False
    assert "127.0.0.1" in test["message"]
    with unit_of_work() as session:
        assert secrets.decrypt(communicator_types.get(session, comm_id).api_key_encrypted) == KEY
    bad = app_client.post(
        "/api/communicator-types", headers=headers, json={**body, "name": "C", "server_address": "ftp://x/y"}
    )
    assert bad.status_code == 422
    assert "must start with http:// or https://" in bad.json()["detail"]


def test_settings(app_client: TestClient, world: dict[str, str]) -> None:
    headers = bearer(world["admin_token"])
    names = [s["name"] for s in app_client.get("/api/settings", headers=headers).json()]
    assert system_settings.DEFAULT_COMMISSION_ON_CREATE in names
    url = f"/api/settings/{system_settings.DEFAULT_COMMISSION_ON_CREATE}"
    assert app_client.put(url, headers=headers, json={"value": "yes"}).json()["value"] == "true"
    assert app_client.put(url, headers=headers, json={"value": "perhaps"}).status_code == 422
    assert app_client.put("/api/settings/nope", headers=headers, json={"value": "1"}).status_code == 404


def test_the_openapi_document_describes_the_api(app_client: TestClient) -> None:
    document = app_client.get("/api/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/signals",
        "/api/clients",
        "/api/clients/{code}",
        "/api/clients/{code}/commission",
        "/api/clients/{code}/decommission",
        "/api/clients/{code}/history",
        "/api/executions/{execution_id}/retry",
        "/api/communicator-types",
        "/api/settings",
    ):
        assert path in paths, path
    assert not any(p.startswith(("/clients", "/admin", "/login")) for p in paths)
    schemas = document["components"]["schemas"]
    assert "api_key" not in schemas["CommunicatorTypeOut"]["properties"]
    assert schemas["CommunicatorTypeIn"]["properties"]["api_key"]["writeOnly"] is True
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["ApiToken"]["description"],
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path not in ("/healthz", "/readyz"):
                assert operation["security"] == [{"ApiToken": []}], (method, path)
                assert {"401", "422"} <= set(operation["responses"]), (method, path)


def test_healthz(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    assert app_client.get("/readyz").json() == {"status": "ok"}


def test_liveness_does_not_ask_the_database_readiness_does(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, /healthz asked the database: used as a liveness probe, a database outage restarted every
    web process."""
    monkeypatch.setenv("COMMISSIONER_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_config.cache_clear()
    assert app_client.get("/healthz").status_code == 200
    answer = app_client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "database unavailable"}


def test_corrections_have_their_api_twins(app_client: TestClient, world: dict[str, str]) -> None:
    admin, operator = bearer(world["admin_token"]), bearer(world["operator_token"])
    device_id = app_client.get(f"/api/clients/{CLIENT}", headers=operator).json()["devices"][0]["id"]
    before = snapshot()
    for method, path, body in (
        ("PATCH", f"/api/clients/{CLIENT}", {"name": "X"}),
        ("PATCH", f"/api/clients/{CLIENT}/devices/{device_id}", {"device_ref_no": f.iccid(60)}),
        ("DELETE", f"/api/clients/{CLIENT}/devices/{device_id}", None),
        ("DELETE", "/api/communicator-types/1", None),
    ):
        assert app_client.request(method, path, headers=operator, json=body).status_code == 403, path
    bad = app_client.patch(
        f"/api/clients/{CLIENT}/devices/{device_id}", headers=admin, json={"device_ref_no": "123"}
    )
    assert bad.status_code == 422
    assert (
        app_client.patch(f"/api/clients/{CLIENT}", headers=admin, json={"retired": True, "x": 1}).status_code
        == 422
    )
    assert app_client.delete("/api/communicator-types/1", headers=admin).status_code == 409  # in use
    assert snapshot() == before

    renamed = app_client.patch(f"/api/clients/{CLIENT}", headers=admin, json={"name": "Corner Shop"})
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Corner Shop")
    moved = app_client.patch(
        f"/api/clients/{CLIENT}/devices/{device_id}", headers=admin, json={"device_ref_no": f.iccid(60)}
    )
    assert (moved.status_code, moved.json()["device_ref_no"]) == (200, f.iccid(60))
    retired = app_client.patch(f"/api/clients/{CLIENT}", headers=admin, json={"retired": True})
    assert retired.status_code == 200
    assert retired.json()["retired_at"] is not None
    assert app_client.delete(f"/api/clients/{CLIENT}/devices/{device_id}", headers=admin).status_code == 409
    restored = app_client.patch(f"/api/clients/{CLIENT}", headers=admin, json={"retired": False})
    assert restored.json()["retired_at"] is None
    assert app_client.delete(f"/api/clients/{CLIENT}/devices/{device_id}", headers=admin).status_code == 204
    assert app_client.get(f"/api/clients/{CLIENT}", headers=admin).json()["devices"] == []
    assert app_client.delete("/api/communicator-types/1", headers=admin).status_code == 204
    assert app_client.delete("/api/communicator-types/1", headers=admin).status_code == 404
