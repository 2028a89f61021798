"""The pipeline: one function logs every signal and creates the task executions its plans ask for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre.errors import InvalidInput
from models import Client, ExecutionStatus, Signal, SignalSource, TaskExecution
from models.db import unit_of_work
from pipeline import executions, signals, system_events
from pipeline.outbox import Message
from tests import factories as f

ALARM = 130


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


def _alarm_setup(session: Session, *sims: int, enabled: bool = True) -> Client:
    """Client C1 with ``sims``; type ALARM fires two assignments: task 1 Activate, task 2 Deactivate."""
    f.jasper_type(session)
    client = f.client(session, "C1")
    f.sims(session, client, *sims)
    first, second = f.task(session, 1, enabled=enabled), f.task(session, 2)
    response = f.response_plan(
        session,
        "Alarm",
        (first, {"Command Type": "Activate"}),
        (second, {"command_type": "deactivate"}),
    )
    f.event_type(session, client, ALARM, f.action_plan(session, "Alarm", response), "Burglary")
    return client


def test_a_signal_creates_one_execution_per_assignment_per_target(session: Session) -> None:
    client = _alarm_setup(session, 1, 2)

    logged = signals.log_signal(session, client, ALARM, source=SignalSource.API, memo="zone 3")

    created = f.executions(session)
    by_task_and_sim = {(e.task_id, e.target_key): e.options for e in created}
    tasks = sorted({e.task_id for e in created})
    assert by_task_and_sim == {
        (tasks[0], f"sim:{f.iccid(1)}"): {"command_type": "Activate"},
        (tasks[0], f"sim:{f.iccid(2)}"): {"command_type": "Activate"},
        (tasks[1], f"sim:{f.iccid(1)}"): {"command_type": "Deactivate"},
        (tasks[1], f"sim:{f.iccid(2)}"): {"command_type": "Deactivate"},
    }
    assert all(e.signal_id == logged.id and e.client_id == client.id for e in created)
    assert all(e.status == ExecutionStatus.PENDING and e.attempts == 0 for e in created)
    assert len({e.user_id for e in created}) == 2
    assert (logged.description, logged.memo, logged.source) == ("Burglary", "zone 3", SignalSource.API)


def test_signal_and_executions_commit_together_and_are_published_after(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        client_id = _alarm_setup(session, 1).id
    with unit_of_work() as session:
        client = session.get(Client, client_id)
        assert client is not None
        signals.log_signal(session, client, ALARM, source=SignalSource.API)
        assert len(f.executions(session)) == 2
        assert published == []  # nothing is announced before the transaction commits

    with unit_of_work() as session:
        ids = [e.id for e in f.executions(session)]
    assert sorted(published) == sorted((i, "jasper.set_sim_status", "jasper", 0.0) for i in ids)


def test_a_rolled_back_unit_of_work_writes_and_publishes_nothing(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        client_id = _alarm_setup(session, 1).id
        before = f.row_counts(session)

    def request_that_fails_after_logging() -> None:
        with unit_of_work() as session:
            client = session.get(Client, client_id)
            assert client is not None
            signals.log_signal(session, client, ALARM, source=SignalSource.API)
            assert f.executions(session)
            raise RuntimeError("the request failed after the signal was logged")

    with pytest.raises(RuntimeError):
        request_that_fails_after_logging()

    assert published == []
    with unit_of_work() as session:
        assert f.row_counts(session) == before


def test_a_disabled_task_fires_nothing(db: Session) -> None:
    client = _alarm_setup(db, 1, enabled=False)

    signals.log_signal(db, client, ALARM, source=SignalSource.API)

    assert [e.options for e in f.executions(db)] == [{"command_type": "Deactivate"}]


def test_an_offline_clients_signal_is_logged_but_fires_nothing(db: Session) -> None:
    client = _alarm_setup(db, 1)
    client.offline = True

    logged = signals.log_signal(db, client, ALARM, source=SignalSource.API, memo="door")

    assert f.signals(db, client) == [logged]
    assert logged.memo == "door (client offline: no response)"
    assert f.executions(db) == []


def test_an_offline_client_still_runs_its_system_events(db: Session) -> None:
    client = _alarm_setup(db, 1)
    task = f.task(db, 3)
    deactivate = f.response_plan(db, "Off", (task, {"command_type": "Deactivate"}))
    f.event_type(
        db,
        client,
        system_events.CLIENT_DECOMMISSIONED,
        f.action_plan(db, "Decommission", deactivate),
    )
    client.offline = True

    logged = signals.log_signal(db, client, system_events.CLIENT_DECOMMISSIONED, source=SignalSource.AUTO)

    assert [(e.signal_id, e.options) for e in f.executions(db)] == [
        (logged.id, {"command_type": "Deactivate"})
    ]
    assert "offline" not in logged.memo


def test_signals_at_the_depth_limit_fire_nothing(db: Session) -> None:
    client = _alarm_setup(db, 1)

    below = signals.log_signal(db, client, ALARM, source=SignalSource.AUTO, depth=signals.MAX_DEPTH - 1)
    at = signals.log_signal(db, client, ALARM, source=SignalSource.AUTO, depth=signals.MAX_DEPTH)

    assert {e.signal_id for e in f.executions(db)} == {below.id}
    assert at.depth == signals.MAX_DEPTH


def test_a_plan_that_reacts_to_its_own_outcomes_stops_at_the_depth_limit(db: Session) -> None:
    """Task Failed fires the task again, whose target error fails it again, ...: the chain must end."""
    f.jasper_type(db)
    client = f.client(db, "C1")  # no SIM: every execution fails at once with a target error
    task = f.task(db)
    plan = f.action_plan(db, "Loop", f.response_plan(db, "Loop", (task, {"command_type": "Activate"})))
    f.event_type(db, client, ALARM, plan)
    f.event_type(db, client, system_events.TASK_FAILED, plan)
    signals.log_signal(db, client, ALARM, source=SignalSource.API)

    for _ in range(10):
        pending = [e for e in f.executions(db) if e.status == ExecutionStatus.PENDING]
        if not pending:
            break
        for execution in pending:
            claim = executions.claim(db, execution.id)
            assert claim is not None
            executions.complete(db, claim, ExecutionStatus.FAILED, claim.target["error"])
    else:
        pytest.fail("task outcomes kept firing tasks")

    failures = f.signals(db, client, system_events.TASK_FAILED)
    assert [s.depth for s in failures] == list(range(1, signals.MAX_DEPTH + 1))
    assert len(f.executions(db)) == signals.MAX_DEPTH


def test_unknown_type_numbers_are_logged_as_unknown(db: Session) -> None:
    client = f.client(db, "C1")

    unknown = signals.log_signal(db, client, 4321, source=SignalSource.API)
    system = signals.log_signal(db, client, system_events.CLIENT_COMMISSIONED, source=SignalSource.AUTO)

    assert unknown.description == "Unknown event type 4321"
    assert system.description == "Client Commissioned"
    assert (unknown.action_plan_id, system.action_plan_id) == (None, None)


@pytest.mark.parametrize(
    ("type_no", "zone"),
    [(-1, 0), (65536, 0), (ALARM, -1), (ALARM, 65536)],
    ids=["type-below", "type-above", "zone-below", "zone-above"],
)
def test_bad_type_or_zone_numbers_are_refused_and_nothing_is_written(
    db: Session, type_no: int, zone: int
) -> None:
    client = _alarm_setup(db, 1)
    before = f.row_counts(db)

    with pytest.raises(InvalidInput, match="must be between 0 and 65535"):
        signals.log_signal(db, client, type_no, zone=zone, source=SignalSource.API)

    assert f.row_counts(db) == before


def test_the_edges_of_the_number_ranges_are_accepted(db: Session) -> None:
    client = f.client(db, "C1")

    signals.log_signal(db, client, 0, zone=65535, source=SignalSource.API)
    signals.log_signal(db, client, 65535, zone=0, source=SignalSource.API)

    assert [(s.type_no, s.zone) for s in f.signals(db, client)] == [(0, 65535), (65535, 0)]


def test_invalid_assignment_options_give_a_failing_execution_not_a_refusal(db: Session) -> None:
    f.jasper_type(db)
    client = f.client(db, "C1")
    f.sims(db, client, 1)
    task = f.task(db, 7)
    bad = f.response_plan(db, "Bad", (task, {"command_type": "Reboot"}))
    f.event_type(db, client, ALARM, f.action_plan(db, "Bad", bad))

    logged = signals.log_signal(db, client, ALARM, source=SignalSource.API)

    (execution,) = f.executions(db)
    assert execution.signal_id == logged.id
    assert execution.target_key is None
    assert "task 7" in execution.target["error"]
    assert "Command Type must be Activate or Deactivate" in execution.target["error"]
    assert execution.options == {"command_type": "Reboot"}


def test_log_signal_stores_the_pipeline_fields(db: Session) -> None:
    client = _alarm_setup(db, 1)

    logged = signals.log_signal(
        db, client, ALARM, zone=4, source=SignalSource.MANUAL, memo="test", operator="alice"
    )

    stored = db.scalar(select(Signal).where(Signal.id == logged.id))
    assert stored is not None
    assert (stored.client_id, stored.type_no, stored.zone, stored.operator) == (client.id, ALARM, 4, "alice")
    assert stored.received_at.tzinfo is not None
    assert stored.action_plan_id is not None
    assert db.scalar(select(TaskExecution.signal_id).limit(1)) == logged.id
