"""Webhook endpoints on the JSON API: admins add, change and remove them; the secret is never answered;
every refusal changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from features.webhooks import endpoints
from models.db import unit_of_work
from tests.web.fixtures import bearer, snapshot

SECRET = "whsec-never-answered-5c1e"
URL = "https://hooks.example.test/commissioner"


def test_an_admin_adds_changes_and_removes_an_endpoint(app_client: TestClient, world: dict[str, str]) -> None:
    admin = bearer(world["admin_token"])
    added = app_client.post(
        "/api/webhook-endpoints", headers=admin, json={"name": "crm", "url": URL, "secret": SECRET}
    )
    assert added.status_code == 201, added.text
    assert (added.json()["name"], added.json()["url"], added.json()["used_by"]) == ("crm", URL, 0)
    listed = app_client.get("/api/webhook-endpoints", headers=admin)
    assert [e["name"] for e in listed.json()] == ["crm"]
    assert SECRET not in added.text + listed.text
    with unit_of_work() as session:
        assert SECRET not in endpoints.get(session, "crm").secret_encrypted  # encrypted at rest

    moved = "https://hooks2.example.test/in"
    without_secret = app_client.patch("/api/webhook-endpoints/crm", headers=admin, json={"url": moved})
    assert without_secret.status_code == 422
    assert "needs the webhook secret again" in without_secret.json()["detail"]
    changed = app_client.patch(
        "/api/webhook-endpoints/crm", headers=admin, json={"url": moved, "secret": SECRET + "-2"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["url"] == moved

    assert app_client.delete("/api/webhook-endpoints/crm", headers=admin).status_code == 204
    assert app_client.get("/api/webhook-endpoints", headers=admin).json() == []


def test_operators_and_bad_requests_are_refused_and_change_nothing(
    app_client: TestClient, world: dict[str, str]
) -> None:
    admin, operator = bearer(world["admin_token"]), bearer(world["operator_token"])
    good = {"name": "crm", "url": URL, "secret": SECRET}
    assert app_client.post("/api/webhook-endpoints", headers=admin, json=good).status_code == 201
    before = snapshot()
    assert app_client.get("/api/webhook-endpoints", headers=operator).status_code == 403
    assert (
        app_client.post("/api/webhook-endpoints", headers=operator, json=good | {"name": "x"}).status_code
        == 403
    )
    assert app_client.delete("/api/webhook-endpoints/crm", headers=operator).status_code == 403
    assert app_client.post("/api/webhook-endpoints", json=good).status_code == 401
    cases = [
        (good, 409),  # the name is taken
        (good | {"name": "new", "url": "ftp://hooks.example.test/x"}, 422),
        (good | {"name": "new", "url": "https://user:pw@hooks.example.test/x"}, 422),
        (good | {"name": "new", "secret": "short"}, 422),
        (good | {"name": "bad name!"}, 422),
        (good | {"name": "new", "extra": 1}, 422),
        ({"name": "new", "url": URL}, 422),
    ]
    for body, status in cases:
        answer = app_client.post("/api/webhook-endpoints", headers=admin, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert "detail" in answer.json()
        assert SECRET not in answer.text
    assert (
        app_client.patch("/api/webhook-endpoints/nope", headers=admin, json={"url": URL}).status_code == 404
    )
    assert app_client.delete("/api/webhook-endpoints/nope", headers=admin).status_code == 404
    assert snapshot() == before
