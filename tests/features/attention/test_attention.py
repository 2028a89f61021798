"""The attention page, its JSON twin and the navigation count: what needs a person, across clients."""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

from centre import clients
from centre.clients import ClientRef
from features.attention import service
from models import ExecutionStatus, SimDrift
from models.db import unit_of_work
from pipeline import executions
from pipeline.outbox import Message
from tests import factories as f
from tests.web.fixtures import Browser, bearer, failed_execution


@pytest.fixture
def three_failures(world: dict[str, str]) -> list[int]:
    with unit_of_work() as session:
        for code, number in (("C2", 2), ("C3", 3)):
            f.sims(session, f.client(session, code), number)
    return [failed_execution(code, f"Control Center: failure on {code}") for code in ("C1", "C2", "C3")]


def test_failures_on_three_clients_are_listed_newest_first_with_a_retry(
    operator: Browser, three_failures: list[int]
) -> None:
    page = operator.page("/attention")
    codes = [code for code in ("C1", "C2", "C3") if f">{code}</a>" in page]
    assert codes == ["C1", "C2", "C3"]
    assert page.index(">C3</a>") < page.index(">C1</a>")  # newest first
    for execution_id in three_failures:
        assert f'hx-post="/executions/{execution_id}/retry"' in page
    assert "failure on C2" in page
    assert operator.http.get("/attention/count").text.count(">3<") == 1


def test_a_retried_failure_leaves_the_list_and_the_count_goes_down(
    operator: Browser, three_failures: list[int], published: list[Message]
) -> None:
    operator.page("/attention")
    answer = operator.post(f"/executions/{three_failures[0]}/retry", {"client_id": "1"}, htmx=True)
    assert answer.status_code == 200, answer.text
    items = operator.http.get("/attention/items").text
    assert f'hx-post="/executions/{three_failures[0]}/retry"' not in items  # retried: pending now
    assert ">2<" in operator.http.get("/attention/count").text


def test_filters_by_kind_and_text(operator: Browser, three_failures: list[int]) -> None:
    assert ">C2</a>" in operator.page("/attention?q=failure on C2")
    assert ">C1</a>" not in operator.page("/attention?q=failure on C2")
    assert "Nothing needs attention that matches the filter" in operator.page("/attention?kind=drift")
    assert operator.http.get("/attention?kind=nonsense").status_code == 422
    for kind in ("failed", "unconfirmed", "drift", "silent", "termination"):  # every kind the filter offers
        assert operator.http.get(f"/attention/items?kind={kind}").status_code == 200, kind
        assert f'<option value="{kind}"' in operator.page("/attention")


def test_drift_and_unconfirmed_changes_are_listed(operator: Browser, world: dict[str, str]) -> None:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef("C1"))
        comm = f.jasper_type(session, "Carrier Z")
        session.add(
            SimDrift(
                iccid=f.iccid(1),
                client_id=client.id,
                communicator_type_id=comm.id,
                expected_status="ACTIVATED",
                carrier_status="DEACTIVATED",
            )
        )
        clients.commission(session, client, "test")
    with unit_of_work() as session:
        execution = f.executions(session, client)[0]
        claim = executions.claim(session, execution.id)
        assert claim is not None
    with unit_of_work() as session:
        executions.complete(session, claim, ExecutionStatus.UNCONFIRMED, "accepted, not yet confirmed")
    page = html.unescape(operator.page("/attention"))
    assert "the carrier says DEACTIVATED; it should be ACTIVATED" in page
    assert "Reconcile now" in page
    assert "Not yet confirmed" in page


def test_the_json_twin(app_client: TestClient, world: dict[str, str], three_failures: list[int]) -> None:
    answer = app_client.get("/api/attention", headers=bearer(world["operator_token"]))
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    assert body["count"] == 3
    first = body["items"][0]
    assert {"kind", "client_code", "iccid", "since", "message"} <= set(first)
    assert (first["kind"], first["client_code"], first["iccid"]) == ("failed", "C3", f.iccid(3))
    assert first["execution_id"] == three_failures[2]
    assert app_client.get("/api/attention").status_code == 401
    narrowed = app_client.get("/api/attention?kind=drift", headers=bearer(world["operator_token"])).json()
    assert narrowed == {"items": [], "count": 0}


def test_the_start_page_is_attention_and_shows_a_chart_of_the_last_day(
    operator: Browser, three_failures: list[int]
) -> None:
    assert operator.http.get("/", follow_redirects=False).headers["location"] == "/attention"
    page = operator.page("/attention")
    assert '<svg class="chart"' in page
    assert "Task outcomes per hour, last 24 hours" in page
    with unit_of_work() as session:
        hours = service.outcomes_per_hour(session)
    assert len(hours) == 24
    assert sum(hour.failed for hour in hours) == 3
