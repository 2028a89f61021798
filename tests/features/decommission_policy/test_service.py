"""The decommission policy: terminate after N days, set by an admin with a confirmation, pending until
due, cancelled by a re-commission, asked for as an execution once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import supersim
from centre import clients, sims
from centre.errors import InvalidInput, NotPermitted
from features.attention import service as attention
from features.decommission_policy import service
from models import CommunicatorType, ExecutionStatus, TaskExecution, utcnow
from pipeline.outbox import Message
from tests import factories


def _setup(session: Session) -> tuple[CommunicatorType, str]:
    client = factories.seeded_client(session, "DP1", 1)
    sim = sims.of_client(session, client)[0]
    comm = session.get(CommunicatorType, sim.communicator_type_id)
    assert comm is not None
    clients.commission(session, client, factories.OPERATOR)
    for execution in session.scalars(select(TaskExecution)):
        execution.status = ExecutionStatus.SUCCEEDED
    session.flush()
    return comm, sim.iccid


def test_only_an_admin_sets_it_and_only_with_a_confirmation(
    session: Session, published: list[Message]
) -> None:
    comm, _iccid = _setup(session)
    with pytest.raises(NotPermitted):
        service.set_policy(session, comm, 30, "op", admin=False, confirmed=True)
    with pytest.raises(InvalidInput, match="cannot be undone"):
        service.set_policy(session, comm, 30, "op", admin=True, confirmed=False)
    with pytest.raises(InvalidInput, match="from 1 to"):
        service.set_policy(session, comm, 0, "op", admin=True, confirmed=True)
    assert comm.terminate_after_days is None
    service.set_policy(session, comm, 30, "op", admin=True, confirmed=True)
    assert service.policy_text(comm) == "decommission sets DEACTIVATED (stops billing); RETIRED 30 days later"
    comm.kind = supersim.KIND
    with pytest.raises(InvalidInput, match="cannot terminate"):
        service.set_policy(session, comm, 30, "op", admin=True, confirmed=True)


def test_pending_until_due_cancelled_by_recommission_asked_once(
    session: Session, published: list[Message]
) -> None:
    comm, iccid = _setup(session)
    service.set_policy(session, comm, 30, "op", admin=True, confirmed=True)
    client = clients.find(session, clients.ClientRef("DP1"))
    clients.decommission(session, client, factories.OPERATOR, "left")
    [pending] = service.pending(session)
    assert (pending.iccid, pending.terminal_status) == (iccid, "RETIRED")
    assert pending.due_at == pending.decommissioned_at + timedelta(days=30)
    assert service.run_due(session, utcnow()) == []  # not due yet

    clients.commission(session, client, factories.OPERATOR)
    assert service.pending(session) == []  # re-commissioned: cancelled

    clients.decommission(session, client, factories.OPERATOR, "left again")
    [asked] = service.run_due(session, utcnow() + timedelta(days=31))
    execution = session.get(TaskExecution, asked)
    assert execution is not None
    assert execution.options == {"action": "set_status", "status": "RETIRED"}
    assert execution.target_key == f"sim:{iccid}"
    assert service.pending(session) == []
    assert service.run_due(session, utcnow() + timedelta(days=32)) == []  # asked once


def test_a_pending_termination_is_listed_on_the_attention_page_but_not_counted(
    session: Session, published: list[Message]
) -> None:
    comm, iccid = _setup(session)
    service.set_policy(session, comm, 30, "op", admin=True, confirmed=True)
    client = clients.find(session, clients.ClientRef("DP1"))
    clients.decommission(session, client, factories.OPERATOR, "left")
    for execution in session.scalars(select(TaskExecution)):
        execution.status = ExecutionStatus.SUCCEEDED
    session.flush()
    [item] = attention.items(session, kind="termination")
    assert (item.client_code, item.iccid) == ("DP1", iccid)
    assert "terminates this SIM (RETIRED, irreversible)" in item.message
    assert "commissioning the client again cancels it" in item.message
    assert attention.count(session) == 0  # nothing is wrong yet
    clients.commission(session, client, factories.OPERATOR)
    assert attention.items(session, kind="termination") == []
