"""The drift report: the page (any logged-in account) and GET /api/drift list what reconciliation found."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from centre import clients, sims
from centre.clients import ClientRef
from features.drift import judge
from features.drift.judge import CarrierSim
from models import CommunicatorType, ExecutionStatus, TaskExecution, utcnow
from models.db import unit_of_work
from pipeline import outbox
from tests import factories as f
from tests.web.fixtures import CLIENT, Browser, bearer, client_id


def drift(carrier_status: str = "DEACTIVATED", code: str = CLIENT) -> str:
    """Commission ``code`` (its execution succeeds), then let the carrier report ``carrier_status``."""
    with unit_of_work() as session:
        clients.commission(session, clients.find(session, ClientRef(code)), "test")
    with unit_of_work() as session:
        for execution in session.scalars(select(TaskExecution)):
            execution.status = ExecutionStatus.SUCCEEDED
    return report(carrier_status, code)


def report(carrier_status: str, code: str = CLIENT) -> str:
    """A reconciliation run in which the carrier says ``carrier_status`` of the client's SIM."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        iccid = sims.of_client(session, client)[0].iccid
        comm = session.scalars(select(CommunicatorType)).one()
        judge.apply(session, comm, utcnow(), [CarrierSim(iccid, carrier_status)], "test")
    return iccid


def test_operators_see_current_drift_with_a_link_to_the_client(operator: Browser) -> None:
    iccid = drift()
    page = operator.page("/drift")
    assert 'href="/drift" aria-current="page"' in page
    assert f'data-iccid="{iccid}"' in page
    assert f'href="/clients/{client_id()}">{CLIENT}</a>' in page
    assert "Client C1" in page  # its name
    assert '<span class="badge badge-expected">ACTIVATED</span>' in page
    assert '<span class="badge badge-drift">DEACTIVATED</span>' in page
    assert "Jasper" in page  # the communicator type
    assert "1 SIM out of line" in page
    assert f.API_KEY not in page


def test_no_drift_says_so_and_resolved_drift_leaves_the_list(admin: Browser) -> None:
    assert "No SIM is out of line." in admin.page("/drift")
    iccid = drift()
    assert iccid in admin.page("/drift")
    report("ACTIVATED")  # the carrier agrees again
    page = admin.page("/drift")
    assert iccid not in page
    assert "No SIM is out of line." in page


def test_client_names_are_escaped(admin: Browser) -> None:
    with unit_of_work() as session:
        found = clients.add(session, "X1", "<b>bold</b>", "test")
        f.sims(session, found, 7)
    drift(code="X1")
    page = admin.page("/drift")
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_the_drift_page_needs_a_login(browser: Callable[[str | None], Browser]) -> None:
    answer = browser(None).http.get("/drift", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_the_api_lists_drift_for_any_token(app_client: TestClient, world: dict[str, str]) -> None:
    assert app_client.get("/api/drift", headers=bearer(world["operator_token"])).json() == []
    iccid = drift()
    answer = app_client.get("/api/drift", headers=bearer(world["operator_token"]))
    assert answer.status_code == 200
    [item] = answer.json()
    assert item["detected_at"]
    del item["detected_at"]
    assert item == {
        "iccid": iccid,
        "client_id": client_id(),
        "client_code": CLIENT,
        "area": 1,
        "port": "1",
        "client_name": "Client C1",
        "communicator_type": "Jasper",
        "expected_status": "ACTIVATED",
        "carrier_status": "DEACTIVATED",
    }
    assert app_client.get("/api/drift", headers=bearer(world["admin_token"])).status_code == 200
    assert app_client.get("/api/drift").status_code == 401
    assert app_client.get("/api/drift", headers=bearer("not-a-token")).status_code == 401


def test_the_api_documents_the_drift_report(app_client: TestClient, world: dict[str, str]) -> None:
    document = app_client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/drift"]["get"]
    assert set(operation["responses"]) == {"200", "401", "422"}
    assert "DriftOut" in document["components"]["schemas"]


class _FakeBroker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[object], str]] = []

    def send_task(self, name: str, *, args: list[object], queue: str, retry: bool) -> None:
        self.sent.append((name, args, queue))


def test_reconcile_now_asks_the_workers_and_the_page_refreshes_itself(
    operator: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the Drift page did not refresh and its text told staff to run a command."""
    broker = _FakeBroker()
    monkeypatch.setattr(outbox, "_broker", broker)
    with unit_of_work() as session:
        comm = f.jasper_type(session, "Carrier R")
    page = operator.page("/drift")
    assert 'hx-get="/drift/items"' in page
    assert "SIMs out of line at the end of each day" in page
    answer = operator.post("/drift/reconcile", {"communicator_type_id": str(comm.id)}, htmx=True)
    assert "Reconciliation started" in answer.text
    assert broker.sent == [("reconcile.account", [comm.id], "commissioner")]
    assert operator.post("/drift/reconcile", {"communicator_type_id": "999"}, htmx=True).status_code == 404
    assert operator.post("/drift/reconcile", {"communicator_type_id": "x"}, htmx=True).status_code == 422
