"""The whole flow with real processes: press -> signal -> execution -> worker -> simulator -> outcome.

Runs on the embedded default (SQLite + kombu's SQLAlchemy broker) and on PostgreSQL + Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from sqlalchemy import select

from centre import clients
from centre.clients import ClientRef
from centre.seed import SYSTEM_EVENTS_CODE
from models import Client, ExecutionStatus, Signal, TaskExecution
from models.db import unit_of_work
from pipeline import system_events
from tests.integration.fixtures import OPERATOR, Stack, wait_for

pytestmark = pytest.mark.integration


def _outcomes(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        return list(
            session.scalars(
                select(Signal)
                .where(Signal.client_id == client.id, Signal.outcome.is_not(None))
                .order_by(Signal.id)
            )
        )


def _press(code: str, action: str) -> None:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        if action == "commission":
            clients.commission(session, client, OPERATOR)
        else:
            clients.decommission(session, client, OPERATOR, "moved out", offline=True)


def test_commission_then_decommission_switches_the_sim(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    iccid = make_client("FLOW1")
    assert stack.sim_status(iccid) == "ACTIVATION_READY"

    _press("FLOW1", "commission")
    wait_for(lambda: len(_outcomes("FLOW1")) == 1, "the commission outcome")
    [activated] = _outcomes("FLOW1")
    assert activated.outcome == "succeeded"
    assert activated.type_no == system_events.TASK_SUCCEEDED
    assert iccid in activated.memo
    assert "ACTIVATED" in activated.memo
    assert stack.sim_status(iccid) == "ACTIVATED"

    _press("FLOW1", "decommission")
    wait_for(lambda: len(_outcomes("FLOW1")) == 2, "the decommission outcome")
    assert _outcomes("FLOW1")[1].outcome == "succeeded"
    assert stack.sim_status(iccid) == "DEACTIVATED"
    with unit_of_work() as session:
        client = clients.find(session, ClientRef("FLOW1"))
        assert client.offline
        assert client.decommission_reason == "moved out"


def test_bad_credentials_fail_visibly_on_client_and_system_account(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    iccid = make_client("FLOW2", api_key="wrong-key", comm_name="Wrong Key")

    _press("FLOW2", "commission")
    wait_for(lambda: len(_outcomes("FLOW2")) == 1, "the failure outcome")
    [failed] = _outcomes("FLOW2")
    assert failed.outcome == "failed"
    assert failed.type_no == system_events.TASK_FAILED
    assert "10000001" in failed.memo
    assert iccid in failed.memo
    assert "wrong-key" not in failed.memo
    with unit_of_work() as session:
        system_account = clients.find(session, ClientRef(SYSTEM_EVENTS_CODE))
        on_account = session.scalars(select(Signal).where(Signal.client_id == system_account.id)).all()
        assert [s.execution_id for s in on_account] == [failed.execution_id]
        execution = session.get(TaskExecution, failed.execution_id)
        assert execution is not None
        assert execution.status == ExecutionStatus.FAILED
        assert execution.attempts == 1
    assert stack.sim_status(iccid) == "ACTIVATION_READY"


def test_history_json_from_the_command_line(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    make_client("FLOW3")
    _press("FLOW3", "commission")
    wait_for(lambda: len(_outcomes("FLOW3")) == 1, "the commission outcome")

    result = subprocess.run(
        [sys.executable, "-m", "cli", "client", "history", "FLOW3", "--json"],
        env={**os.environ, **stack.env},
        capture_output=True,
        text=True,
        check=True,
    )
    entries = json.loads(result.stdout)
    assert [e["type_no"] for e in entries] == [
        system_events.CLIENT_COMMISSIONED,
        system_events.TASK_SUCCEEDED,
    ]
    assert entries[1]["outcome"] == "succeeded"
    assert all({"time", "type_no", "description", "memo"} <= e.keys() for e in entries)


def test_a_press_whose_message_was_lost_still_runs(stack: Stack, make_client: Callable[..., str]) -> None:
    """Commit, then lose the broker's copy: the relay publishes it again and the SIM is switched."""
    iccid = make_client("FLOW4")
    _press("FLOW4", "commission")
    assert stack.drop_queued_messages() == 1  # the message is gone, the row is not

    proc = stack.start_worker()
    try:
        wait_for(lambda: len(_outcomes("FLOW4")) == 1, "the relay to publish the lost execution")
    finally:
        from cli.processes import stop

        stop(proc)
    assert _outcomes("FLOW4")[0].outcome == "succeeded"
    assert stack.sim_status(iccid) == "ACTIVATED"
    with unit_of_work() as session:
        assert session.scalar(select(Client.commissioned_at).where(Client.client_code == "FLOW4")) is not None
