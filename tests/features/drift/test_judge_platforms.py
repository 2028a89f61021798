"""Drift on a platform whose carrier moves SIMs by itself: Super SIM's ready turns active on first
traffic, and a scheduled SIM is a change under way."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import supersim
from centre import sims
from features.drift import judge
from features.drift.judge import CarrierSim
from features.sim_console import service as sim_console
from models import CommunicatorType, ExecutionStatus, TaskExecution
from pipeline.outbox import Message
from tests import factories


def test_ready_turning_active_is_no_drift_and_scheduled_is_not_judged(
    session: Session, published: list[Message]
) -> None:
    client = factories.seeded_client(session, "SS1", 1)
    sim = sims.of_client(session, client)[0]
    comm = session.get(CommunicatorType, sim.communicator_type_id)
    assert comm is not None
    comm.kind = supersim.KIND
    session.flush()
    sim_console.request(session, client, sim, {"action": "set_status", "status": "ready"}, "bob", admin=False)
    for execution in session.scalars(select(TaskExecution)):
        execution.status = ExecutionStatus.SUCCEEDED
    session.flush()
    since = factories.clients.utcnow()

    assert judge.apply(session, comm, since, [CarrierSim(sim.iccid, "active")], "t").drifted == []
    assert judge.apply(session, comm, since, [CarrierSim(sim.iccid, "scheduled")], "t").drifted == []
    assert judge.apply(session, comm, since, [CarrierSim(sim.iccid, "inactive")], "t").drifted == [sim.iccid]
