"""The spine's whole flow on a jasper-soap communicator type: real worker, real simulator speaking SOAP,
on SQLite and on PostgreSQL. Commission and decommission with their outcomes, a transient fault retried,
an unknown SIM failing with Control Center's SOAP code; the SIM read back over REST shows the same."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from centre import clients, communicator_types, seed, sims
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from cli.processes import free_port, start_simulator, stop
from features.sim_swap import service as sim_swap
from models import Signal, TaskExecution, utcnow
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, Stack, wait_for

pytestmark = pytest.mark.integration

PASSWORD, LICENSE = "soap-pass-5e1d", "soap-licence-77a2"


@pytest.fixture
def soap_stack(broker: str, env: dict[str, str]) -> Iterator[Stack]:
    port = free_port()
    extra = ["--password", PASSWORD, "--license-key", LICENSE]
    simulator = start_simulator(port, SIM_USER, SIM_KEY, extra, env={**os.environ, **env})
    try:
        yield Stack(env=env, sim_port=port, broker_url=broker)
    finally:
        stop(simulator)


def _client(stack: Stack, code: str, number: int) -> str:
    iccid = with_luhn_digit(f"8988{os.getpid() % 10_000:04d}{number:010d}")
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        if not any(c.name == "SOAP" for c in communicator_types.list_all(session)):
            address = f"http://127.0.0.1:{stack.sim_port}/ws/service"
            secret = {"password": PASSWORD, "license_key": LICENSE}
            communicator_types.add(session, "SOAP", address, SIM_USER, secret, OPERATOR, "jasper-soap")
        client = clients.add(session, code, f"Client {code}", OPERATOR)
        clients.add_device(session, client, "SOAP", iccid, OPERATOR)
    return iccid


def _script(stack: Stack, iccid: str, code: str, count: int) -> None:
    answer = httpx.post(
        f"http://127.0.0.1:{stack.sim_port}/_admin/errors",
        json=[{"iccid": iccid, "errorCode": code, "count": count}],
        auth=(SIM_USER, SIM_KEY),
        timeout=5,
    )
    answer.raise_for_status()


def _outcomes(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        query = select(Signal).where(Signal.client_id == client.id, Signal.outcome.is_not(None))
        return list(session.scalars(query.order_by(Signal.id)))


def _attempts(signal: Signal) -> int:
    with unit_of_work() as session:
        execution = session.get(TaskExecution, signal.execution_id)
        assert execution is not None
        return execution.attempts


# Two stacks, not three: the broker changes nothing in how a carrier is spoken to (test_flow.py runs all).
@pytest.mark.parametrize(
    ("database", "broker"),
    [("sqlite", "sqla"), ("postgresql", "redis")],
    indirect=True,
    ids=["sqlite-sqla", "postgresql-redis"],
)
def test_the_whole_flow_over_soap(soap_stack: Stack) -> None:
    iccid = _client(soap_stack, "SOAP1", 1)
    unknown = _client(soap_stack, "SOAP2", 2)
    _script(soap_stack, iccid, "30000001", 1)  # answered as SOAP fault 400300: retried
    _script(soap_stack, unknown, "20000001", 20)  # answered as SOAP fault 100100: final
    worker = soap_stack.start_worker()
    try:
        with unit_of_work() as session:
            clients.commission(session, clients.find(session, ClientRef("SOAP1")), OPERATOR)
            clients.commission(session, clients.find(session, ClientRef("SOAP2")), OPERATOR)
        wait_for(lambda: len(_outcomes("SOAP1")) == 1, "the commission outcome")
        [activated] = _outcomes("SOAP1")
        assert activated.outcome == "succeeded", activated.memo
        assert "ACTIVATED_NAME" in activated.memo
        assert _attempts(activated) == 2
        assert soap_stack.sim_status(iccid) == "ACTIVATED"  # read back over REST: one SIM store

        wait_for(lambda: len(_outcomes("SOAP2")) == 1, "the unknown SIM's outcome")
        [failed] = _outcomes("SOAP2")
        assert failed.outcome == "failed"
        assert "100100" in failed.memo
        assert unknown in failed.memo
        assert PASSWORD not in failed.memo
        assert LICENSE not in failed.memo

        with unit_of_work() as session:
            client = clients.find(session, ClientRef("SOAP1"))
            clients.decommission(session, client, OPERATOR, "moved out", offline=True)
        wait_for(lambda: len(_outcomes("SOAP1")) == 2, "the decommission outcome")
        assert _outcomes("SOAP1")[1].outcome == "succeeded"
        assert soap_stack.sim_status(iccid) == "DEACTIVATED"
    finally:
        stop(worker)
    soap_calls = [call for call in soap_stack.sim_calls() if str(call["path"]).startswith("/ws/service/")]
    assert soap_calls
    assert all(call["userName"] == SIM_USER for call in soap_calls)


def _soap_calls(stack: Stack, since: int) -> list[tuple[object, object, object]]:
    """(operation, ICCID, fault code) of each SOAP call from the simulator's call log."""
    return [
        (call["operation"], call["iccid"], call["errorCode"])
        for call in stack.sim_calls()[since:]
        if str(call["path"]).startswith("/ws/service/")
    ]


def _faults(stack: Stack, **changes: object) -> None:
    answer = httpx.put(
        f"http://127.0.0.1:{stack.sim_port}/_admin/faults", json=changes, auth=(SIM_USER, SIM_KEY), timeout=5
    )
    answer.raise_for_status()


@pytest.mark.parametrize(("database", "broker"), [("sqlite", "sqla")], indirect=True, ids=["sqlite-sqla"])
@pytest.mark.parametrize("allowed", [True, False], ids=["exchange-allowed", "exchange-refused"])
def test_a_sim_swap_over_soap_uses_the_carriers_exchange_where_the_account_allows_it(
    soap_stack: Stack, allowed: bool
) -> None:
    """SimRmaExchange where the account allows it; refused (fault 400201, as on an account without the
    entitlement), the swap falls back to its steps: the new SIM activated, the old one deactivated."""
    old = _client(soap_stack, "SOAP3", 3)
    new = with_luhn_digit(f"8988{os.getpid() % 10_000:04d}{4:010d}")
    with unit_of_work() as session:
        clients.find(session, ClientRef("SOAP3")).commissioned_at = utcnow()
    put = httpx.put(
        f"{soap_stack.server_address}/devices/{old}", json={"status": "ACTIVATED"}, auth=(SIM_USER, SIM_KEY)
    )
    put.raise_for_status()
    _faults(soap_stack, rma_exchange_refused=not allowed)
    before = len(soap_stack.sim_calls())

    outcome = sim_swap.swap(ClientRef("SOAP3"), old, new, OPERATOR)

    assert outcome.done, outcome.message
    calls = _soap_calls(soap_stack, before)
    edits = [(iccid, code) for operation, iccid, code in calls if operation == "EditTerminal"]
    assert calls[0] == ("SimRmaExchange", old, None if allowed else "400201")
    if allowed:
        assert "exchanged" in outcome.message
        assert edits == []
        assert (outcome.old_status, outcome.new_status) == ("REPLACED_NAME", "ACTIVATED_NAME")
        assert (soap_stack.sim_status(old), soap_stack.sim_status(new)) == ("REPLACED", "ACTIVATED")
    else:
        assert "exchange was refused (400201)" in outcome.message
        assert edits == [(new, None), (old, None)]  # the new SIM on first, then the old one off
        assert (outcome.old_status, outcome.new_status) == ("DEACTIVATED_NAME", "ACTIVATED_NAME")
        assert (soap_stack.sim_status(old), soap_stack.sim_status(new)) == ("DEACTIVATED", "ACTIVATED")
    with unit_of_work() as session:
        [sim] = sims.of_client(session, clients.find(session, ClientRef("SOAP3")))
        assert sim.iccid == new
