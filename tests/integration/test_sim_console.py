"""The SIM console against the real simulator and a real worker: reads, changes, refusals."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from centre import clients, sims
from centre.clients import ClientRef
from cli.main import cli
from features.sim_console import service as sim_console
from models import ExecutionStatus, OperatorLog, Signal, TaskExecution
from models.db import unit_of_work
from pipeline import system_events
from tests.integration.fixtures import OPERATOR, Stack, wait_for

pytestmark = pytest.mark.integration


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--operator", "alice", *args], catch_exceptions=False)


def _activated(stack: Stack, code: str, make_client: Callable[..., str]) -> str:
    iccid = make_client(code)
    with unit_of_work() as session:
        clients.commission(session, clients.find(session, ClientRef(code)), OPERATOR)

    def finished() -> bool:  # the commission's outcome is written, not only the carrier changed
        with unit_of_work() as session:
            client = clients.find(session, ClientRef(code))
            found = select(Signal).where(Signal.client_id == client.id, Signal.outcome.is_not(None))
            return session.scalars(found).first() is not None

    wait_for(finished, "the commission's outcome")
    assert stack.sim_status(iccid) == "ACTIVATED"
    return iccid


def test_overview_usage_and_rate_plans_are_read_live(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    iccid = _activated(stack, "CON1", make_client)

    overview = _run("sim", "overview", "CON1")
    assert overview.exit_code == 0, overview.output
    assert iccid in overview.output
    assert "Status:                 ACTIVATED" in overview.output
    assert "Date activated:" in overview.output
    assert "Read at:" in overview.output

    usage = _run("sim", "usage", "CON1", "--cycle-start", "2026-11-01")
    assert usage.exit_code == 0, usage.output
    assert "Cycle start:  2026-11-01" in usage.output
    assert "bytes" in usage.output

    plans = _run("sim", "rate-plans", "CON1")
    assert plans.exit_code == 0, plans.output
    assert len(plans.output.splitlines()) >= 2


def test_changes_run_through_the_workers_and_are_logged_with_who(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    iccid = _activated(stack, "CON2", make_client)
    current = _run("sim", "overview", "CON2").output.split("Rate plan:")[1].splitlines()[0].strip()
    other_plan = next(p for p in _run("sim", "rate-plans", "CON2").output.splitlines() if p != current)

    changed = _run("sim", "rate-plan", "CON2", other_plan)
    assert changed.exit_code == 0, changed.output
    assert "outcome: succeeded" in changed.output

    sms = _run("sim", "sms", "CON2", "wake up")
    assert sms.exit_code == 0, sms.output
    assert "outcome: succeeded" in sms.output

    refused = _run("sim", "set-status", "CON2", "RETIRED", "--no-wait")
    assert refused.exit_code == 1
    assert "confirm" in refused.output
    retired = _run("sim", "set-status", "CON2", "RETIRED", "--yes")
    assert retired.exit_code == 0, retired.output
    assert stack.sim_status(iccid) == "RETIRED"

    with unit_of_work() as session:
        client = clients.find(session, ClientRef("CON2"))
        requests = session.scalars(
            select(Signal).where(
                Signal.client_id == client.id, Signal.type_no == system_events.SIM_CONSOLE_ACTION
            )
        ).all()
        assert [r.operator for r in requests] == ["alice"] * 3
        outcomes = session.scalars(
            select(Signal).where(Signal.client_id == client.id, Signal.execution_id.is_not(None))
        ).all()
        memos = " | ".join(o.memo for o in outcomes)
        assert f"rate plan {other_plan}, confirmed" in memos
        assert "SMS sent, carrier message id" in memos
        assert "RETIRED, confirmed" in memos
        logged = session.scalars(select(OperatorLog.action).where(OperatorLog.client_id == client.id)).all()
        assert logged.count("sim.request") == 3


def test_refusals_are_explained_before_and_by_the_carrier(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    _activated(stack, "CON3", make_client)

    back = _run("sim", "set-status", "CON3", "INVENTORY")
    assert back.exit_code == 1
    assert "not sent" in back.output.lower()
    assert "10000029" in back.output
    unknown = _run("sim", "rate-plan", "CON3", "No Such Plan")
    assert unknown.exit_code == 1
    assert "offers no rate plan 'No Such Plan'" in unknown.output

    # Sent anyway (as another edge might): the carrier refuses, and the failure says why.
    with unit_of_work() as session:
        client = clients.find(session, ClientRef("CON3"))
        execution = sim_console.request(
            session,
            client,
            sims.find(session, client),
            {"action": "set_status", "status": "INVENTORY"},
            "bob",
            admin=True,
        )
        execution_id = execution.id

    def finished() -> bool:
        with unit_of_work() as session:
            found = session.get(TaskExecution, execution_id)
            return found is not None and found.status == ExecutionStatus.FAILED

    wait_for(finished, "the carrier's refusal")
    with unit_of_work() as session:
        found = session.get(TaskExecution, execution_id)
        assert found is not None
        assert found.last_error is not None
        assert "10000029" in found.last_error
        assert "pre-activation" in found.last_error.lower() or "Pre Activation" in found.last_error
