"""The panel event map on the JSON API: everyone reads it, admins change it; refusals change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.fixtures import bearer, snapshot


def test_everyone_reads_the_map_admins_change_it(app_client: TestClient, world: dict[str, str]) -> None:
    admin, operator = bearer(world["admin_token"]), bearer(world["operator_token"])
    seeded = app_client.get("/api/panel-map", headers=operator)
    assert seeded.status_code == 200, seeded.text
    burglary = next(row for row in seeded.json() if (row["protocol"], row["code"]) == ("sia", "BA"))
    assert burglary["type_no"] > 0

    body = {"type_no": 1300, "zone": 7, "description": "Vault door", "test_report": False}
    changed = app_client.put("/api/panel-map/sia/BA", headers=admin, json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"protocol": "sia", "code": "BA", **body}
    added = app_client.put(
        "/api/panel-map/cid/1602", headers=admin, json={"type_no": 602, "test_report": True}
    )
    assert added.json()["test_report"] is True
    rows = {(r["protocol"], r["code"]): r for r in app_client.get("/api/panel-map", headers=operator).json()}
    assert rows[("sia", "BA")]["zone"] == 7
    assert ("cid", "1602") in rows

    assert app_client.delete("/api/panel-map/cid/1602", headers=admin).status_code == 204
    rows = {(r["protocol"], r["code"]) for r in app_client.get("/api/panel-map", headers=operator).json()}
    assert ("cid", "1602") not in rows


def test_operators_and_bad_requests_are_refused_and_change_nothing(
    app_client: TestClient, world: dict[str, str]
) -> None:
    admin, operator = bearer(world["admin_token"]), bearer(world["operator_token"])
    app_client.get("/api/panel-map", headers=admin)  # seeded
    before = snapshot()
    good = {"type_no": 1300}
    assert app_client.put("/api/panel-map/sia/BA", headers=operator, json=good).status_code == 403
    assert app_client.delete("/api/panel-map/sia/BA", headers=operator).status_code == 403
    assert app_client.get("/api/panel-map").status_code == 401
    cases = [
        ("/api/panel-map/sia/B1", good, 422),  # not a SIA code
        ("/api/panel-map/cid/9130", good, 422),  # not a Contact ID qualifier
        ("/api/panel-map/xyz/BA", good, 422),
        ("/api/panel-map/sia/BA", {"type_no": 70000}, 422),
        ("/api/panel-map/sia/BA", {"type_no": 1, "zone": -1}, 422),
        ("/api/panel-map/sia/BA", {"type_no": 1, "description": "x" * 101}, 422),
        ("/api/panel-map/sia/BA", {"type_no": 1, "extra": True}, 422),
        ("/api/panel-map/sia/BA", {}, 422),
    ]
    for path, body, status in cases:
        answer = app_client.put(path, headers=admin, json=body)
        assert answer.status_code == status, (path, body, answer.text)
        assert "detail" in answer.json()
    assert app_client.delete("/api/panel-map/sia/ZZ", headers=admin).status_code == 422  # not mapped
    assert snapshot() == before
