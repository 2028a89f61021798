"""What the relay does besides re-publishing: nothing waits for ever, nothing crashes it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients
from centre.seed import SYSTEM_EVENTS_CODE
from models import ExecutionStatus, Signal, Task, TaskExecution, utcnow
from pipeline import executions, system_events
from pipeline.outbox import Message
from tests import factories


def _commissioned_execution(session: Session) -> TaskExecution:
    client = factories.seeded_client(session, "R1", 1)
    clients.commission(session, client, factories.OPERATOR)
    return session.scalars(select(TaskExecution)).one()


def test_an_execution_of_an_uninstalled_task_type_fails_instead_of_stopping_the_relay(
    session: Session, published: list[Message]
) -> None:
    execution = _commissioned_execution(session)
    task = session.get(Task, execution.task_id)
    assert task is not None
    task.type = "retired-carrier"
    execution.published_at = None
    session.flush()

    assert executions.due_for_publish(session) == []

    assert execution.status == ExecutionStatus.FAILED
    outcome = session.scalars(select(Signal).where(Signal.execution_id == execution.id)).all()
    assert {s.type_no for s in outcome} == {system_events.TASK_FAILED}
    assert "'retired-carrier' is not installed" in outcome[0].memo
    # A task-level problem: the task's system account hears of it too.
    owners = {s.client_id for s in outcome}
    assert clients.find(session, clients.ClientRef(SYSTEM_EVENTS_CODE)).id in owners


def test_an_execution_not_done_within_its_maximum_age_is_failed_with_the_last_error(
    session: Session, published: list[Message]
) -> None:
    execution = _commissioned_execution(session)
    execution.last_error = "failed: carrier unreachable"
    session.flush()

    assert executions.expire_stale(session, now=utcnow() + timedelta(hours=23)) == 0
    assert execution.status == ExecutionStatus.PENDING

    assert executions.expire_stale(session, now=utcnow() + timedelta(hours=25)) == 1
    assert execution.status == ExecutionStatus.FAILED
    assert execution.last_error is not None
    assert "not done after 24 h; last error: failed: carrier unreachable" in execution.last_error


def test_a_leased_execution_is_not_expired_while_a_worker_holds_it(
    session: Session, published: list[Message]
) -> None:
    execution = _commissioned_execution(session)
    later = utcnow() + timedelta(hours=25)
    assert executions.claim(session, execution.id, now=later) is not None

    assert executions.expire_stale(session, now=later) == 0
    assert execution.status == ExecutionStatus.RUNNING
