"""A retry is checked as its first request was: who may ask (retiring a SIM and changing its rate plan
are for admins), the confirmation (retiring), and the carrier's rules against the SIM read live now.

Before this was fixed, an operator could retire a SIM, irreversibly, by pressing Retry on an admin's
failed Retire, on the page or with an operator API token; and a retry skipped the live rule check.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.db import unit_of_work
from pipeline import executions
from pipeline.outbox import Message
from tests.features.sim_console.carrier import Carrier, add_client
from tests.web.fixtures import Browser, bearer, client_id, failed_console_request, snapshot

pytestmark = pytest.mark.usefixtures("own_carrier_clients")

RETIRE = {"action": "set_status", "status": "RETIRED"}
RATE_PLAN = {"action": "set_rate_plan", "rate_plan": "Alarm Panel 20MB"}
TO_INVENTORY = {"action": "set_status", "status": "INVENTORY"}


@pytest.fixture
def iccid(world: dict[str, str], carrier: Carrier) -> str:
    carrier.reset()
    [first] = add_client(carrier.address, 501)
    return first


def _failed_request(options: dict[str, Any]) -> int:
    return failed_console_request("S1", options)


def _retry_api(http: TestClient, token: str, execution_id: int, body: object = None) -> Any:
    return http.post(f"/api/executions/{execution_id}/retry", headers=bearer(token), json=body)


@pytest.mark.parametrize("options", [RETIRE, RATE_PLAN], ids=["retire", "rate-plan"])
def test_an_operator_cannot_retry_an_admins_request(
    operator: Browser,
    app_client: TestClient,
    world: dict[str, str],
    iccid: str,
    published: list[Message],
    options: dict[str, Any],
) -> None:
    execution_id = _failed_request(options)
    published.clear()
    page = operator.page(f"/clients/{client_id('S1')}")
    assert f'action="/executions/{execution_id}/retry"' not in page
    assert "Only an admin can retry this request." in page
    before = snapshot()
    for htmx in (True, False):
        form = {"client_id": str(client_id("S1")), "confirm": "yes"}
        answer = operator.post(f"/executions/{execution_id}/retry", form, htmx=htmx)
        if htmx:
            assert answer.status_code == 403
            assert "for admins" in answer.text
        else:
            assert answer.status_code == 303
            assert "for admins" in operator.page(answer.headers["location"])
    refused = _retry_api(app_client, world["operator_token"], execution_id, {"confirm": True})
    assert refused.status_code == 403, refused.text
    assert "for admins" in refused.json()["detail"]
    assert snapshot() == before
    assert published == []


def test_an_admin_retries_a_retire_only_when_confirmed(
    admin: Browser, app_client: TestClient, world: dict[str, str], iccid: str, published: list[Message]
) -> None:
    execution_id = _failed_request(RETIRE)
    published.clear()
    page = admin.page(f"/clients/{client_id('S1')}")
    assert f'action="/executions/{execution_id}/retry"' in page
    assert 'name="confirm"' in page
    before = snapshot()
    unconfirmed = admin.post(
        f"/executions/{execution_id}/retry", {"client_id": str(client_id("S1"))}, htmx=True
    )
    assert unconfirmed.status_code == 422
    assert "confirm to go ahead" in unconfirmed.text
    for body in (None, {"confirm": False}):
        refused = _retry_api(app_client, world["admin_token"], execution_id, body)
        assert refused.status_code == 422, refused.text
    assert snapshot() == before
    assert published == []
    retried = _retry_api(app_client, world["admin_token"], execution_id, {"confirm": True})
    assert retried.status_code == 201, retried.text
    assert retried.json()["status"] == "pending"
    assert [m[0] for m in published] == [retried.json()["id"]]


def test_a_retry_is_refused_when_the_carrier_would_refuse_it_now(
    operator: Browser,
    app_client: TestClient,
    world: dict[str, str],
    carrier: Carrier,
    iccid: str,
    published: list[Message],
) -> None:
    execution_id = _failed_request(TO_INVENTORY)
    carrier.load(iccid, "ACTIVATED")  # activated since: no way back to a pre-activation status
    operator.page(f"/clients/{client_id('S1')}")
    published.clear()
    before = snapshot()
    form = {"client_id": str(client_id("S1"))}
    answer = operator.post(f"/executions/{execution_id}/retry", form, htmx=True)
    assert answer.status_code == 409
    assert "Not retried: a SIM that has been activated may not move back" in answer.text
    refused = _retry_api(app_client, world["operator_token"], execution_id)
    assert refused.status_code == 409
    assert snapshot() == before
    assert published == []
    carrier.load(iccid, "ACTIVATION_READY")  # a SIM never activated may go back to INVENTORY
    retried = _retry_api(app_client, world["operator_token"], execution_id)
    assert retried.status_code == 201, retried.text


def test_a_retry_is_not_sent_when_the_carrier_rules_cannot_be_checked(
    operator: Browser,
    app_client: TestClient,
    world: dict[str, str],
    carrier: Carrier,
    iccid: str,
    published: list[Message],
) -> None:
    execution_id = _failed_request(TO_INVENTORY)
    carrier.script_error(iccid, "30000001", count=3)  # the carrier fails the read
    operator.page(f"/clients/{client_id('S1')}")
    published.clear()
    before = snapshot()
    refused = _retry_api(app_client, world["operator_token"], execution_id)
    assert refused.status_code in (502, 503), refused.text
    assert refused.json()["detail"].startswith("Not retried: the carrier's rules could not be checked")
    answer = operator.post(
        f"/executions/{execution_id}/retry", {"client_id": str(client_id("S1"))}, htmx=True
    )
    assert "Not retried: the carrier's rules could not be checked" in html.unescape(answer.text)
    assert snapshot() == before
    assert published == []


def test_the_services_refuse_a_retry_that_skips_the_live_check(iccid: str) -> None:
    execution_id = _failed_request(TO_INVENTORY)
    with unit_of_work() as session, pytest.raises(RuntimeError, match=r"sim_console\.service\.retry"):
        executions.retry(session, execution_id, "alice", admin=True)
