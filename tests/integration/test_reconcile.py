"""Drift reconciliation against the real simulator: finds injected drift, costs calls in proportion to
what changed, stays within the account's pacing, and notices when the carrier is back in line."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from centre import clients
from centre.clients import ClientRef
from centre.seed import SYSTEM_EVENTS_CODE
from centre.validation import with_luhn_digit
from cli.main import cli
from models import CommunicatorType, Signal
from models.db import unit_of_work
from pipeline import system_events
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, Stack, wait_for

pytestmark = pytest.mark.integration


def _admin(stack: Stack, sims: list[dict[str, str]]) -> None:
    url = f"http://127.0.0.1:{stack.sim_port}/_admin/sims"
    httpx.post(url, json=sims, auth=(SIM_USER, SIM_KEY), timeout=10).raise_for_status()


def _searches(stack: Stack) -> list[dict[str, object]]:
    return [c for c in stack.sim_calls() if c["method"] == "GET" and str(c["path"]).endswith("/devices")]


def _outcomes() -> int:
    with unit_of_work() as session:
        return len(session.scalars(select(Signal).where(Signal.outcome.is_not(None))).all())


def _reconcile() -> str:
    result = CliRunner().invoke(cli, ["reconcile"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_drift_is_found_logged_listed_and_resolved(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    iccid = make_client("DRIFT1")
    steady = make_client("DRIFT2")
    for code in ("DRIFT1", "DRIFT2"):
        with unit_of_work() as session:
            clients.commission(session, clients.find(session, ClientRef(code)), OPERATOR)
    # Wait for both outcomes, not only the carrier's status: a SIM whose change is still being
    # confirmed is in flight, and the reconciler rightly does not judge it.
    wait_for(lambda: _outcomes() == 2, "both commissions' outcomes")
    assert stack.sim_status(iccid) == stack.sim_status(steady) == "ACTIVATED"
    with unit_of_work() as session:
        comm = session.scalars(select(CommunicatorType)).one()
        comm.calls_per_second = 2  # pacing the reconciler must respect
    first = _reconcile()
    assert "no SIM is out of line" in first

    # Behind our back: our SIM is deactivated, and 120 SIMs that are not ours change too.
    _admin(stack, [{"iccid": iccid, "status": "DEACTIVATED"}])
    strangers = [with_luhn_digit(f"89990000000000{n:05d}") for n in range(120)]
    _admin(stack, [{"iccid": s, "status": "ACTIVATED"} for s in strangers])
    before = len(_searches(stack))

    report = _reconcile()
    assert f"SIM {iccid}: carrier says DEACTIVATED, expected ACTIVATED" in report
    assert steady not in report
    searches = _searches(stack)[before:]
    assert 3 <= len(searches) <= 4  # pages of 50 of what changed, not one call per SIM of the fleet
    per_second = Counter(int(float(str(c["monotonic"]))) for c in searches)
    assert max(per_second.values()) <= 2
    with unit_of_work() as session:
        drift_signals = session.scalars(select(Signal).where(Signal.type_no == system_events.SIM_DRIFT)).all()
        assert len(drift_signals) == 1
        owner = session.get(CommunicatorType, comm.id)
        assert owner is not None
        assert clients.find(session, ClientRef("DRIFT1")).id == drift_signals[0].client_id
        account = clients.find(session, ClientRef(SYSTEM_EVENTS_CODE))
        summaries = session.scalars(
            select(Signal).where(
                Signal.client_id == account.id, Signal.type_no == system_events.RECONCILIATION_SUMMARY
            )
        ).all()
        assert len(summaries) == 1
        assert "1 drifted" in summaries[0].memo

    again = _reconcile()  # nothing new changed: no second drift signal
    assert f"SIM {iccid}" in again
    with unit_of_work() as session:
        assert (
            len(session.scalars(select(Signal).where(Signal.type_no == system_events.SIM_DRIFT)).all()) == 1
        )

    _admin(stack, [{"iccid": iccid, "status": "ACTIVATED"}])
    assert "no SIM is out of line" in _reconcile()
    report_only = CliRunner().invoke(cli, ["reconcile", "--report"], catch_exceptions=False)
    assert "no SIM is out of line" in report_only.output
