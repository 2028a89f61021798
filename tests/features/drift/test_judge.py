"""What the reconciler believes a SIM should be, and how it records drift."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, sims
from features.drift import judge
from features.drift.judge import CarrierSim
from features.sim_console import service as sim_console
from models import CommunicatorType, ExecutionStatus, Signal, SimDrift, TaskExecution
from pipeline import system_events
from pipeline.outbox import Message
from tests import factories


def _finish_all(session: Session, status: ExecutionStatus) -> None:
    for execution in session.scalars(select(TaskExecution)):
        execution.status = status
    session.flush()


def test_without_any_change_the_clients_state_decides(session: Session, published: list[Message]) -> None:
    client = factories.seeded_client(session, "E1", 1)
    [iccid] = [s.iccid for s in sims.of_client(session, client)]
    assert judge.expected_status(session, client, iccid) is None  # never commissioned
    client.commissioned_at = factories.clients.utcnow()
    assert judge.expected_status(session, client, iccid) == "ACTIVATED"


def test_a_change_in_flight_is_not_judged_and_the_newest_press_decides(
    session: Session, published: list[Message]
) -> None:
    client = factories.seeded_client(session, "E2", 1)
    [iccid] = [s.iccid for s in sims.of_client(session, client)]
    clients.commission(session, client, factories.OPERATOR)
    assert judge.expected_status(session, client, iccid) is None  # pending
    _finish_all(session, ExecutionStatus.SUCCEEDED)
    clients.decommission(session, client, factories.OPERATOR, "gone")
    _finish_all(session, ExecutionStatus.FAILED)  # even failed, the newest press is what we want
    assert judge.expected_status(session, client, iccid) == "DEACTIVATED"


def test_a_console_change_the_carrier_refused_is_not_believed(
    session: Session, published: list[Message]
) -> None:
    client = factories.seeded_client(session, "E3", 1)
    sim = sims.of_client(session, client)[0]
    clients.commission(session, client, factories.OPERATOR)
    _finish_all(session, ExecutionStatus.SUCCEEDED)
    sim_console.request(
        session, client, sim, {"action": "set_status", "status": "INVENTORY"}, "bob", admin=False
    )
    _finish_all(session, ExecutionStatus.FAILED)
    assert judge.expected_status(session, client, sim.iccid) == "ACTIVATED"


def test_drift_is_recorded_once_and_resolved(session: Session, published: list[Message]) -> None:
    client = factories.seeded_client(session, "E4", 1)
    sim = sims.of_client(session, client)[0]
    clients.commission(session, client, factories.OPERATOR)
    _finish_all(session, ExecutionStatus.SUCCEEDED)
    comm = session.get(CommunicatorType, sim.communicator_type_id)
    assert comm is not None
    since = factories.clients.utcnow()

    first = judge.apply(session, comm, since, [CarrierSim(sim.iccid, "DEACTIVATED")], "t")
    again = judge.apply(session, comm, since, [CarrierSim(sim.iccid, "DEACTIVATED")], "t")
    back = judge.apply(session, comm, since, [CarrierSim(sim.iccid, "ACTIVATED")], "t")

    assert (first.drifted, again.drifted, back.resolved) == ([sim.iccid], [], [sim.iccid])
    drift_signals = session.scalars(select(Signal).where(Signal.type_no == system_events.SIM_DRIFT)).all()
    assert len(drift_signals) == 1
    assert "the carrier says DEACTIVATED, expected ACTIVATED" in drift_signals[0].memo
    assert judge.open_drift(session) == []
    assert len(session.scalars(select(SimDrift)).all()) == 1


def test_sims_that_are_not_ours_are_ignored(session: Session, published: list[Message]) -> None:
    client = factories.seeded_client(session, "E5", 1)
    comm = session.get(CommunicatorType, sims.of_client(session, client)[0].communicator_type_id)
    assert comm is not None
    summary = judge.apply(
        session, comm, factories.clients.utcnow(), [CarrierSim(factories.iccid(99), "X")], "t"
    )
    assert (summary.seen, summary.ours, summary.drifted) == (1, 0, [])
