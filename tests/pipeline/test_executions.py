"""The life of a task execution: lease, outcome, ordering per SIM, retries, the relay and operator retries."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients
from centre.errors import Conflict, InvalidInput, NotFound
from centre.seed import SYSTEM_EVENTS_CODE
from config import get_config
from models import Client, ExecutionStatus, OperatorLog, Outcome, TaskExecution, utcnow
from models.db import unit_of_work
from pipeline import executions, system_events
from pipeline.outbox import Message
from tests import factories as f

TASK = "jasper.set_sim_status"


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


@pytest.fixture
def max_attempts(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("COMMISSIONER_RETRY_MAX_ATTEMPTS", "2")
    get_config.cache_clear()
    return 2


def _commissioned(session: Session, *sims: int, code: str = "C1") -> Client:
    client = f.seeded_client(session, code, *sims)
    clients.commission(session, client, "alice")
    return client


def _execution(session: Session, execution_id: int) -> TaskExecution:
    found = session.get(TaskExecution, execution_id, populate_existing=True)
    assert found is not None
    return found


def _outcomes(session: Session, client: Client) -> list[tuple[int, Outcome | None, int | None]]:
    return [
        (s.type_no, s.outcome, s.execution_id)
        for s in f.signals(session, client)
        if s.type_no not in (system_events.CLIENT_COMMISSIONED, system_events.CLIENT_DECOMMISSIONED)
    ]


def _sysevents(session: Session) -> Client:
    found = session.scalar(select(Client).where(Client.client_code == SYSTEM_EVENTS_CODE))
    assert found is not None
    return found


# -- claim ---------------------------------------------------------------------------------------------


def test_claim_takes_the_lease_once(session: Session) -> None:
    client = _commissioned(session, 1)
    (execution,) = f.executions(session, client)
    now = utcnow()

    claim = executions.claim(session, execution.id, now)
    again = executions.claim(session, execution.id, now + timedelta(seconds=1))

    assert claim is not None
    assert again is None
    assert (claim.execution_id, claim.attempt, claim.lease_token, claim.client_id) == (
        execution.id,
        1,
        1,
        client.id,
    )
    assert claim.options == {"command_type": "Activate"}
    assert claim.target["iccid"] == f.iccid(1)
    stored = _execution(session, execution.id)
    assert (stored.status, stored.attempts) == (ExecutionStatus.RUNNING, 1)
    assert stored.lease_until == now + timedelta(seconds=get_config().lease_s)


def test_an_execution_that_is_not_due_is_not_claimed(db: Session) -> None:
    (execution,) = f.executions(db, _commissioned(db, 1))
    execution.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.flush()

    assert executions.claim(db, execution.id) is None
    assert executions.claim(db, execution.id, utcnow() + timedelta(minutes=6)) is not None


@pytest.mark.parametrize(
    "status",
    [
        ExecutionStatus.SUCCEEDED,
        ExecutionStatus.FAILED,
        ExecutionStatus.SUPERSEDED,
        ExecutionStatus.UNCONFIRMED,
    ],
)
def test_a_finished_execution_is_not_claimed(db: Session, status: ExecutionStatus) -> None:
    (execution,) = f.executions(db, _commissioned(db, 1))
    execution.status = status
    db.flush()

    assert executions.claim(db, execution.id) is None
    assert (_execution(db, execution.id).status, execution.attempts) == (status, 0)


def test_an_unknown_execution_is_not_claimed(db: Session) -> None:
    assert executions.claim(db, 424242) is None


# -- complete ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "type_no", "outcome"),
    [
        (ExecutionStatus.SUCCEEDED, system_events.TASK_SUCCEEDED, Outcome.SUCCEEDED),
        (ExecutionStatus.FAILED, system_events.TASK_FAILED, Outcome.FAILED),
    ],
)
def test_complete_writes_exactly_one_outcome_signal(
    db: Session, status: ExecutionStatus, type_no: int, outcome: Outcome
) -> None:
    client = _commissioned(db, 1)
    (execution,) = f.executions(db, client)
    claim = executions.claim(db, execution.id)
    assert claim is not None

    assert executions.complete(db, claim, status, "the carrier said so", error_code="20000001")

    assert _outcomes(db, client) == [(type_no, outcome, execution.id)]
    (signal,) = f.signals(db, client, type_no)
    assert signal.memo == f"Jasper Activate SIM {f.iccid(1)}: the carrier said so"
    assert signal.depth == 1
    stored = _execution(db, execution.id)
    assert (stored.status, stored.lease_until, stored.error_code) == (status, None, "20000001")
    assert stored.finished_at is not None
    assert stored.last_error == (None if status == ExecutionStatus.SUCCEEDED else "the carrier said so")


@pytest.mark.parametrize(
    "code", ["SIMSTATUS_TRANSITION_UNAUTHORIZED", "X" * 100], ids=["soap-token", "too-long"]
)
def test_a_long_carrier_code_is_kept_and_never_fails_the_outcome(session: Session, code: str) -> None:
    """SOAP's EditTerminal faults are schema tokens (33 characters): PostgreSQL refused them in 16."""
    client = _commissioned(session, 1)
    (execution,) = f.executions(session, client)
    claim = executions.claim(session, execution.id)
    assert claim is not None

    assert executions.complete(session, claim, ExecutionStatus.FAILED, "refused", error_code=code)
    session.flush()

    assert _execution(session, execution.id).error_code == code[:64]


def test_a_second_complete_or_a_stale_lease_writes_nothing(session: Session) -> None:
    client = _commissioned(session, 1)
    (execution,) = f.executions(session, client)
    now = utcnow()
    stale = executions.claim(session, execution.id, now)
    assert stale is not None
    # The worker holding ``stale`` stalled past its lease; the execution was claimed again.
    fresh = executions.claim(session, execution.id, now + timedelta(seconds=get_config().lease_s + 1))
    assert fresh is not None
    assert fresh.lease_token == stale.lease_token + 1

    assert executions.complete(session, stale, ExecutionStatus.FAILED, "late") is False
    assert _outcomes(session, client) == []
    assert _execution(session, execution.id).status == ExecutionStatus.RUNNING

    assert executions.complete(session, fresh, ExecutionStatus.SUCCEEDED, "done") is True
    assert executions.complete(session, fresh, ExecutionStatus.SUCCEEDED, "done again") is False
    assert _outcomes(session, client) == [(system_events.TASK_SUCCEEDED, Outcome.SUCCEEDED, execution.id)]


def test_task_level_failures_are_also_logged_on_the_tasks_system_account(db: Session) -> None:
    first, second = _commissioned(db, 1, code="C1"), _commissioned(db, 2, code="C2")
    (task_level,), (ordinary,) = f.executions(db, first), f.executions(db, second)
    claims = [executions.claim(db, task_level.id), executions.claim(db, ordinary.id)]
    assert claims[0] is not None
    assert claims[1] is not None

    executions.complete(db, claims[0], ExecutionStatus.FAILED, "bad credentials", task_level=True)
    executions.complete(db, claims[1], ExecutionStatus.FAILED, "invalid ICCID")

    on_system = [(s.type_no, s.execution_id) for s in f.signals(db, _sysevents(db))]
    assert on_system == [(system_events.TASK_FAILED, task_level.id)]
    assert _outcomes(db, first) == [(system_events.TASK_FAILED, Outcome.FAILED, task_level.id)]


# -- ordering on one SIM -----------------------------------------------------------------------------


def test_an_older_execution_is_superseded_by_a_newer_one_for_the_same_sim(session: Session) -> None:
    client = _commissioned(session, 1)
    clients.decommission(session, client, "alice", "changed their mind")
    older, newer = f.executions(session, client)

    assert executions.claim(session, older.id) is None

    stored = _execution(session, older.id)
    assert (stored.status, stored.attempts, stored.lease_until) == (ExecutionStatus.SUPERSEDED, 0, None)
    assert f"execution {newer.id}" in (stored.last_error or "")
    assert _outcomes(session, client) == [(system_events.TASK_SUPERSEDED, Outcome.SUPERSEDED, older.id)]
    claim = executions.claim(session, newer.id)
    assert claim is not None
    assert claim.options == {"command_type": "Deactivate"}


def test_a_newer_execution_waits_while_an_older_one_holds_its_lease(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        client_id = _commissioned(session, 1).id
    with unit_of_work() as session:
        (older,) = f.executions(session)
        older_claim = executions.claim(session, older.id)
        assert older_claim is not None
    with unit_of_work() as session:
        client = session.get(Client, client_id)
        assert client is not None
        clients.decommission(session, client, "alice", "cancelled")
    newer_id = max(m[0] for m in published)
    published.clear()

    with unit_of_work() as session:
        assert executions.claim(session, newer_id) is None

    with unit_of_work() as session:
        newer = _execution(session, newer_id)
        assert (newer.status, newer.attempts, newer.lease_token) == (ExecutionStatus.PENDING, 0, 0)
    ((rung_id, task_name, queue, countdown),) = published
    assert (rung_id, task_name, queue) == (newer_id, TASK, "jasper")
    assert 0.5 <= countdown <= 5.0

    with unit_of_work() as session:
        assert executions.complete(session, older_claim, ExecutionStatus.SUCCEEDED, "activated")
    with unit_of_work() as session:
        assert executions.claim(session, newer_id) is not None


# -- retries -------------------------------------------------------------------------------------------


def test_retry_later_with_a_short_delay_rings_again_with_a_countdown(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        (execution,) = f.executions(session, _commissioned(session, 1))
        claim = executions.claim(session, execution.id)
        assert claim is not None
    published.clear()

    with unit_of_work() as session:
        before = utcnow()
        assert executions.retry_later(session, claim, "carrier unreachable", 1.5, error_code="30000001")
        assert published == []

    assert published == [(execution.id, TASK, "jasper", 1.5)]
    with unit_of_work() as session:
        stored = _execution(session, execution.id)
        assert (stored.status, stored.lease_until, stored.attempts) == (ExecutionStatus.PENDING, None, 1)
        assert (stored.last_error, stored.error_code) == ("carrier unreachable", "30000001")
        assert before + timedelta(seconds=1.5) <= stored.next_attempt_at <= utcnow() + timedelta(seconds=1.5)
        assert executions.claim(session, execution.id) is None  # not due yet


def test_retry_later_with_a_long_delay_leaves_it_to_the_relay(
    sqlite_database: str, published: list[Message]
) -> None:
    long_delay = get_config().max_countdown_s + 60
    with unit_of_work() as session:
        (execution,) = f.executions(session, _commissioned(session, 1))
        claim = executions.claim(session, execution.id)
        assert claim is not None
    published.clear()

    with unit_of_work() as session:
        executions.retry_later(session, claim, "carrier down", long_delay)

    assert published == []
    with unit_of_work() as session:
        assert _execution(session, execution.id).published_at is None
        assert executions.due_for_publish(session) == []
        later = utcnow() + timedelta(seconds=long_delay + 1)
        assert executions.due_for_publish(session, later) == [(execution.id, TASK, "jasper", 0.0)]


def test_the_attempt_cap_fails_the_execution_with_its_last_error(db: Session, max_attempts: int) -> None:
    client = _commissioned(db, 1)
    (execution,) = f.executions(db, client)
    now = utcnow()
    for attempt in range(1, max_attempts + 1):
        now += timedelta(minutes=10)
        claim = executions.claim(db, execution.id, now)
        assert claim is not None
        assert claim.attempt == attempt
        executions.retry_later(db, claim, f"timeout {attempt}", 0.1)

    stored = _execution(db, execution.id)
    assert stored.status == ExecutionStatus.FAILED
    assert stored.last_error == f"gave up after {max_attempts} attempts; last error: timeout {max_attempts}"
    assert _outcomes(db, client) == [(system_events.TASK_FAILED, Outcome.FAILED, execution.id)]
    assert executions.claim(db, execution.id, now + timedelta(minutes=10)) is None


def test_claim_fails_an_execution_that_has_no_attempts_left(db: Session, max_attempts: int) -> None:
    """A worker that died mid-call left the attempt counted; the next claim past the cap gives up."""
    client = _commissioned(db, 1)
    (execution,) = f.executions(db, client)
    execution.attempts = max_attempts
    db.flush()

    assert executions.claim(db, execution.id) is None

    stored = _execution(db, execution.id)
    assert stored.status == ExecutionStatus.FAILED
    assert "gave up after 2 attempts" in (stored.last_error or "")
    assert "no error was recorded" in (stored.last_error or "")


def test_rate_limited_retries_do_not_use_up_attempts(db: Session, max_attempts: int) -> None:
    (execution,) = f.executions(db, _commissioned(db, 1))
    now = utcnow()
    for _ in range(max_attempts * 3):
        now += timedelta(minutes=10)
        claim = executions.claim(db, execution.id, now)
        assert claim is not None
        assert claim.attempt == 1
        executions.retry_later(db, claim, "rate limited", 0.1, error_code="40000029", count_attempt=False)

    stored = _execution(db, execution.id)
    assert (stored.status, stored.attempts, stored.error_code) == (ExecutionStatus.PENDING, 0, "40000029")


def test_retry_later_with_a_stale_claim_changes_nothing(db: Session) -> None:
    (execution,) = f.executions(db, _commissioned(db, 1))
    now = utcnow()
    stale = executions.claim(db, execution.id, now)
    assert stale is not None
    assert executions.claim(db, execution.id, now + timedelta(seconds=get_config().lease_s + 1))

    assert executions.retry_later(db, stale, "late", 1.0) is False
    assert _execution(db, execution.id).status == ExecutionStatus.RUNNING


def test_backoff_stays_between_its_floor_and_its_growing_ceiling(env: dict[str, str]) -> None:
    config = get_config()
    for attempt in (1, 2, 3, 10, 50):
        ceiling = min(config.retry_max_delay_s, config.retry_base_delay_s * 2 ** (attempt - 1))
        delays = [executions.backoff(attempt) for _ in range(200)]
        assert all(
            config.retry_base_delay_s / 2 <= d <= max(ceiling, config.retry_base_delay_s / 2) for d in delays
        )
    assert len({executions.backoff(10) for _ in range(20)}) > 1  # jittered


# -- the relay -----------------------------------------------------------------------------------------


def test_due_for_publish_returns_what_lost_its_doorbell_and_marks_it(session: Session) -> None:
    client = _commissioned(session, 1, 2, 3, 4, 5, 6)
    due, not_due, leased, recent, lease_expired, finished = f.executions(session, client)
    now = utcnow() + timedelta(minutes=5)  # every doorbell rung at creation is old by now
    not_due.next_attempt_at = now + timedelta(seconds=30)
    leased.status, leased.lease_until = ExecutionStatus.RUNNING, now + timedelta(seconds=30)
    recent.published_at = now - timedelta(seconds=1)
    lease_expired.status, lease_expired.lease_until = ExecutionStatus.RUNNING, now - timedelta(seconds=1)
    finished.status = ExecutionStatus.SUCCEEDED
    session.flush()

    messages = executions.due_for_publish(session, now)

    assert messages == [(due.id, TASK, "jasper", 0.0), (lease_expired.id, TASK, "jasper", 0.0)]
    after = get_config().relay_republish_after_s
    # Re-published five minutes after its first doorbell, the next re-publish waits as long again,
    # up to ten times relay_republish_after_s: a message only waiting in a long queue is not flooded.
    assert _execution(session, due.id).published_at == now + timedelta(seconds=10 * after)
    assert executions.due_for_publish(session, now + timedelta(seconds=1)) == []
    soon = now + timedelta(seconds=after + 1)
    assert [m[0] for m in executions.due_for_publish(session, soon)] == [recent.id]
    later = now + timedelta(seconds=11 * after + 1)  # by then the others are due, or their lease ran out
    expected = [due.id, not_due.id, leased.id, recent.id, lease_expired.id]
    assert [m[0] for m in executions.due_for_publish(session, later)] == expected


def test_a_running_execution_whose_lease_expired_can_be_claimed_again(db: Session) -> None:
    (execution,) = f.executions(db, _commissioned(db, 1))
    now = utcnow()
    assert executions.claim(db, execution.id, now) is not None
    after_lease = now + timedelta(seconds=get_config().lease_s + 1)

    assert [m[0] for m in executions.due_for_publish(db, after_lease)] == [execution.id]
    reclaimed = executions.claim(db, execution.id, after_lease)
    assert reclaimed is not None
    assert (reclaimed.attempt, reclaimed.lease_token) == (2, 2)


# -- operator retry ------------------------------------------------------------------------------------


def _failed(session: Session, client: Client) -> TaskExecution:
    (execution,) = [e for e in f.executions(session, client) if e.status == ExecutionStatus.PENDING]
    claim = executions.claim(session, execution.id)
    assert claim is not None
    executions.complete(session, claim, ExecutionStatus.FAILED, "invalid ICCID", error_code="20000001")
    return execution


def test_operator_retry_creates_a_new_execution_and_publishes_it(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        old_id = _failed(session, _commissioned(session, 1)).id
    published.clear()

    with unit_of_work() as session:
        new = executions.retry(session, old_id, "alice", admin=False)
        new_id = new.id
        assert published == []

    assert published == [(new_id, TASK, "jasper", 0.0)]
    with unit_of_work() as session:
        old, new = _execution(session, old_id), _execution(session, new_id)
        assert new_id > old_id
        assert (new.status, new.attempts, new.last_error) == (ExecutionStatus.PENDING, 0, None)
        assert (new.target_key, new.target, new.options) == (old.target_key, old.target, old.options)
        assert (new.signal_id, new.task_id, new.client_id) == (old.signal_id, old.task_id, old.client_id)
        assert old.status == ExecutionStatus.FAILED
        entry = session.scalar(select(OperatorLog).where(OperatorLog.action == "execution.retry"))
        assert entry is not None
        assert (entry.operator, entry.detail) == ("alice", f"retried execution {old_id} as {new_id}")


def test_operator_retry_is_refused_for_active_or_succeeded_executions(db: Session) -> None:
    client = _commissioned(db, 1)
    (execution,) = f.executions(db, client)

    with pytest.raises(InvalidInput, match="still pending"):
        executions.retry(db, execution.id, "alice", admin=False)
    claim = executions.claim(db, execution.id)
    assert claim is not None
    with pytest.raises(InvalidInput, match="still running"):
        executions.retry(db, execution.id, "alice", admin=False)
    executions.complete(db, claim, ExecutionStatus.SUCCEEDED, "ok")
    with pytest.raises(InvalidInput, match="succeeded"):
        executions.retry(db, execution.id, "alice", admin=False)
    with pytest.raises(NotFound):
        executions.retry(db, 424242, "alice", admin=False)
    assert len(f.executions(db)) == 1


def test_operator_retry_is_refused_when_a_later_request_for_the_sim_exists(db: Session) -> None:
    client = _commissioned(db, 1)
    failed = _failed(db, client)
    clients.decommission(db, client, "alice", "gone")
    count = len(f.executions(db))

    with pytest.raises(Conflict, match="would undo it"):
        executions.retry(db, failed.id, "alice", admin=False)

    assert len(f.executions(db)) == count


# -- two workers at once -------------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_workers_claiming_both_executions_of_one_sim_do_not_deadlock(
    database: str, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work() as session:
        client = _commissioned(session, 1)
        clients.decommission(session, client, "alice", "cancelled")
        older, newer = (e.id for e in f.executions(session, client))
    both_locked_own_row = threading.Barrier(2)
    check_order = executions._check_order

    def check_order_together(session: Session, execution: TaskExecution, *args: Any) -> object:
        # Line both workers up at the point where each holds the locks it took (one of them waits
        # for the other's at the lock statement, so the barrier breaks after its timeout).
        with contextlib.suppress(threading.BrokenBarrierError):
            both_locked_own_row.wait(timeout=5)
        return check_order(session, execution, *args)

    monkeypatch.setattr(executions, "_check_order", check_order_together)
    outcomes: dict[int, object] = {}

    def worker(execution_id: int) -> None:
        try:
            with unit_of_work() as session:
                outcomes[execution_id] = executions.claim(session, execution_id)
        except Exception as exc:  # reported below, not lost in the thread
            outcomes[execution_id] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in (older, newer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    errors = [repr(o) for o in outcomes.values() if isinstance(o, Exception)]
    assert errors == []
    assert outcomes[older] is None  # superseded by the newer request
    assert outcomes[newer] is not None
