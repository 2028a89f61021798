"""The decommission policy on the JSON API: admins only, a confirmation to set it, refusals change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from centre import clients
from models import CommunicatorType
from models.db import unit_of_work
from tests import factories
from tests.web.fixtures import CLIENT, bearer, snapshot


def _comm_id() -> int:
    with unit_of_work() as session:
        found: int | None = session.scalar(select(CommunicatorType.id))
    assert found is not None
    return found


def test_an_admin_reads_sets_and_clears_it_with_a_confirmation(
    app_client: TestClient, world: dict[str, str]
) -> None:
    admin = bearer(world["admin_token"])
    path = f"/api/communicator-types/{_comm_id()}/decommission-policy"
    read = app_client.get(path, headers=admin)
    assert read.status_code == 200, read.text
    policy = read.json()
    assert (policy["platform"], policy["decommission_sets"], policy["termination_sets"]) == (
        "Cisco IoT Control Center (REST API)",
        "DEACTIVATED",
        "RETIRED",
    )
    assert policy["terminate_after_days"] is None
    assert policy["description"] == "decommission sets DEACTIVATED (stops billing); never terminates"
    unconfirmed = app_client.put(path, headers=admin, json={"terminate_after_days": 30})
    assert unconfirmed.status_code == 422
    assert "cannot be undone" in unconfirmed.json()["detail"]
    assert app_client.get(path, headers=admin).json()["terminate_after_days"] is None

    confirmed = app_client.put(path, headers=admin, json={"terminate_after_days": 30, "confirm": True})
    assert confirmed.status_code == 200, confirmed.text
    assert (
        confirmed.json()["description"]
        == "decommission sets DEACTIVATED (stops billing); RETIRED 30 days later"
    )
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef(CLIENT))
        clients.decommission(session, client, factories.OPERATOR, "left")
    [due] = app_client.get("/api/terminations", headers=admin).json()
    assert (due["client_code"], due["status"]) == (CLIENT, "RETIRED")

    cleared = app_client.put(path, headers=admin, json={"terminate_after_days": None})
    assert cleared.json()["terminate_after_days"] is None
    assert app_client.get("/api/terminations", headers=admin).json() == []


def test_operators_and_bad_requests_are_refused_and_change_nothing(
    app_client: TestClient, world: dict[str, str]
) -> None:
    admin, operator = bearer(world["admin_token"]), bearer(world["operator_token"])
    path = f"/api/communicator-types/{_comm_id()}/decommission-policy"
    before = snapshot()
    body = {"terminate_after_days": 30, "confirm": True}
    assert app_client.put(path, headers=operator, json=body).status_code == 403
    assert app_client.get(path, headers=operator).status_code == 403
    assert app_client.get("/api/terminations", headers=operator).status_code == 403
    assert app_client.put(path, json=body).status_code == 401
    cases = [
        ({"terminate_after_days": 0, "confirm": True}, 422),
        ({"terminate_after_days": 3651, "confirm": True}, 422),
        ({"terminate_after_days": "soon", "confirm": True}, 422),
        ({"terminate_after_days": 30, "confirm": True, "extra": 1}, 422),
        ({"confirm": True}, 422),
    ]
    for bad, status in cases:
        answer = app_client.put(path, headers=admin, json=bad)
        assert answer.status_code == status, (bad, answer.text)
        assert "detail" in answer.json()
    assert (
        app_client.put(
            "/api/communicator-types/999999/decommission-policy", headers=admin, json=body
        ).status_code
        == 404
    )
    assert snapshot() == before
