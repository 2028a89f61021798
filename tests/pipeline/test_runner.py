"""The runner: claim, act outside any transaction, and map each carrier exception to the execution's fate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers.errors import (
    CarrierAuthFailed,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from centre import clients
from centre.seed import SYSTEM_EVENTS_CODE
from config import get_config
from config.logs import current_context
from models import Client, ExecutionStatus, Outcome, TaskExecution, utcnow
from models.db import unit_of_work
from pipeline import runner, system_events
from pipeline.executions import Claim
from pipeline.outbox import Message
from pipeline.runner import Report, TargetError, TaskLevelError
from tests import factories as f

TASK = "jasper.set_sim_status"
OUTCOME_TYPES = {
    system_events.TASK_SUCCEEDED,
    system_events.TASK_FAILED,
    system_events.TASK_SUPERSEDED,
    system_events.TASK_UNCONFIRMED,
}


@dataclass
class FakePerformer:
    """Does what it is told: returns ``outcome`` or raises it; records what it was asked."""

    outcome: Report | Exception = field(default_factory=lambda: Report(ExecutionStatus.SUCCEEDED, "done"))
    prepare_error: Exception | None = None
    prepared: list[Claim] = field(default_factory=list)
    performed: list[str] = field(default_factory=list)

    def prepare(self, session: Session, claim: Claim) -> str:
        self.prepared.append(claim)
        if self.prepare_error is not None:
            raise self.prepare_error
        return str(claim.target["iccid"])

    def perform(self, prepared: str) -> Report:
        self.performed.append(prepared)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@dataclass(frozen=True)
class Pending:
    client_id: int
    execution_id: int


def _pending(*sims: int) -> Pending:
    """A commissioned client whose Activate execution waits for a worker (committed)."""
    with unit_of_work() as session:
        client = f.seeded_client(session, "C1", *sims)
        clients.commission(session, client, "alice")
        (execution,) = f.executions(session, client)
        return Pending(client.id, execution.id)


def _execution(pending: Pending) -> TaskExecution:
    with unit_of_work() as session:
        found = session.get(TaskExecution, pending.execution_id)
        assert found is not None
        return found


def _outcomes(client_id: int) -> list[tuple[int, Outcome | None, int | None, str]]:
    with unit_of_work() as session:
        client = session.get(Client, client_id)
        assert client is not None
        return [
            (s.type_no, s.outcome, s.execution_id, s.memo)
            for s in f.signals(session, client)
            if s.type_no in OUTCOME_TYPES
        ]


def _system_account_id() -> int:
    with unit_of_work() as session:
        found = session.scalar(select(Client.id).where(Client.client_code == SYSTEM_EVENTS_CODE))
        assert found is not None
        return found


def test_a_report_of_success_completes_the_execution(database: str, published: list[Message]) -> None:
    pending = _pending(1)
    performer = FakePerformer(Report(ExecutionStatus.SUCCEEDED, "ACTIVATED, confirmed by the carrier"))

    runner.run(pending.execution_id, performer)

    assert performer.performed == [f.iccid(1)]
    assert _execution(pending).status == ExecutionStatus.SUCCEEDED
    ((type_no, outcome, execution_id, memo),) = _outcomes(pending.client_id)
    assert (type_no, outcome, execution_id) == (
        system_events.TASK_SUCCEEDED,
        Outcome.SUCCEEDED,
        pending.execution_id,
    )
    assert memo == f"Jasper Activate SIM {f.iccid(1)}: ACTIVATED, confirmed by the carrier"


def test_an_unconfirmed_report_is_recorded_as_unconfirmed(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)

    runner.run(pending.execution_id, FakePerformer(Report(ExecutionStatus.UNCONFIRMED, "not seen yet")))

    assert _execution(pending).status == ExecutionStatus.UNCONFIRMED
    assert [o[:2] for o in _outcomes(pending.client_id)] == [
        (system_events.TASK_UNCONFIRMED, Outcome.UNCONFIRMED)
    ]


def test_carrier_unavailable_is_retried_later_keeping_the_attempt(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    published.clear()
    error = CarrierUnavailable("Control Center timed out", error_code=None)

    before = utcnow()
    runner.run(pending.execution_id, FakePerformer(error))

    stored = _execution(pending)
    assert (stored.status, stored.attempts, stored.lease_until) == (ExecutionStatus.PENDING, 1, None)
    assert stored.last_error == "failed: Control Center timed out"
    ((execution_id, task_name, _, countdown),) = published
    assert (execution_id, task_name) == (pending.execution_id, TASK)
    assert 0 < countdown <= 2.0  # COMMISSIONER_RETRY_MAX_DELAY_S in the test settings
    assert stored.next_attempt_at >= before + timedelta(seconds=countdown)
    assert _outcomes(pending.client_id) == []


def test_carrier_rate_limited_is_retried_without_using_an_attempt_after_retry_after(
    database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    published.clear()
    error = CarrierRateLimited("rate limit exceeded", error_code="40000029", retry_after=7.5)

    before = utcnow()
    runner.run(pending.execution_id, FakePerformer(error))

    stored = _execution(pending)
    assert (stored.status, stored.attempts, stored.error_code) == (ExecutionStatus.PENDING, 0, "40000029")
    assert published == [(pending.execution_id, TASK, "jasper", 7.5)]
    assert before + timedelta(seconds=7.5) <= stored.next_attempt_at <= utcnow() + timedelta(seconds=7.5)


def test_rate_limited_without_retry_after_backs_off(sqlite_database: str, published: list[Message]) -> None:
    pending = _pending(1)
    published.clear()

    runner.run(pending.execution_id, FakePerformer(CarrierRateLimited("slow down", error_code="40000029")))

    ((_, _, _, countdown),) = published
    assert 0 < countdown <= 2.0
    assert _execution(pending).attempts == 0


def test_carrier_rejected_fails_with_the_carriers_code(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    message = f"Control Center set status ACTIVATED for ICCID {f.iccid(1)} failed: error 20000001 (HTTP 404)"

    runner.run(pending.execution_id, FakePerformer(CarrierRejected(message, error_code="20000001")))

    stored = _execution(pending)
    assert (stored.status, stored.error_code) == (ExecutionStatus.FAILED, "20000001")
    assert stored.last_error == f"failed: {message}"
    assert [o[:3] for o in _outcomes(pending.client_id)] == [
        (system_events.TASK_FAILED, Outcome.FAILED, pending.execution_id)
    ]
    assert _outcomes(_system_account_id()) == []  # one SIM's problem, not the task's


def test_carrier_auth_failed_fails_and_is_logged_on_the_tasks_system_account(
    database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    error = CarrierAuthFailed("Control Center refused the credentials", error_code="10000001")

    runner.run(pending.execution_id, FakePerformer(error))

    stored = _execution(pending)
    assert (stored.status, stored.error_code) == (ExecutionStatus.FAILED, "10000001")
    for account in (pending.client_id, _system_account_id()):
        ((type_no, outcome, execution_id, memo),) = _outcomes(account)
        assert (type_no, outcome, execution_id) == (
            system_events.TASK_FAILED,
            Outcome.FAILED,
            pending.execution_id,
        )
        assert "refused the credentials" in memo


def test_a_target_error_fails_without_calling_the_performer(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending()  # no SIM on the client
    performer = FakePerformer()

    runner.run(pending.execution_id, performer)

    assert (performer.prepared, performer.performed) == ([], [])
    stored = _execution(pending)
    assert stored.status == ExecutionStatus.FAILED
    assert "has no add-on device with a Jasper communicator type" in (stored.last_error or "")
    assert [o[0] for o in _outcomes(pending.client_id)] == [system_events.TASK_FAILED]


def test_a_task_level_error_in_prepare_fails_and_is_logged_on_the_system_account(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    performer = FakePerformer(prepare_error=TaskLevelError("communicator type Jasper: key unreadable"))

    runner.run(pending.execution_id, performer)

    assert performer.performed == []
    assert _execution(pending).status == ExecutionStatus.FAILED
    assert [o[0] for o in _outcomes(_system_account_id())] == [system_events.TASK_FAILED]


def test_a_target_error_in_prepare_fails_only_on_the_client(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    performer = FakePerformer(prepare_error=TargetError("the device is gone"))

    runner.run(pending.execution_id, performer)

    assert performer.performed == []
    assert _execution(pending).last_error == "the device is gone"
    assert _outcomes(_system_account_id()) == []


def test_a_duplicate_delivery_acts_once(sqlite_database: str, published: list[Message]) -> None:
    pending = _pending(1)
    performer = FakePerformer()

    runner.run(pending.execution_id, performer)
    runner.run(pending.execution_id, performer)

    assert performer.performed == [f.iccid(1)]
    assert len(_outcomes(pending.client_id)) == 1


def test_a_message_for_an_execution_that_is_not_due_does_nothing(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    with unit_of_work() as session:
        execution = session.get(TaskExecution, pending.execution_id)
        assert execution is not None
        execution.next_attempt_at = utcnow() + timedelta(minutes=5)
    performer = FakePerformer()

    runner.run(pending.execution_id, performer)

    assert performer.prepared == []
    assert _execution(pending).attempts == 0


def test_retries_end_in_failure_once_the_attempts_are_used_up(
    sqlite_database: str, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMISSIONER_RETRY_MAX_ATTEMPTS", "2")
    get_config.cache_clear()
    pending = _pending(1)
    performer = FakePerformer(CarrierUnavailable("Control Center unreachable"))

    for _ in range(2):
        with unit_of_work() as session:  # the retry is due now rather than after its backoff
            execution = session.get(TaskExecution, pending.execution_id)
            assert execution is not None
            execution.next_attempt_at = utcnow() - timedelta(seconds=1)
        runner.run(pending.execution_id, performer)

    stored = _execution(pending)
    assert len(performer.performed) == 2
    assert stored.status == ExecutionStatus.FAILED
    assert stored.last_error == "gave up after 2 attempts; last error: failed: Control Center unreachable"


def test_an_unexpected_error_in_prepare_fails_the_execution_instead_of_looping(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    # What Fernet raises when the worker's COMMISSIONER_ENCRYPTION_KEYS holds a malformed key.
    crash = ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")

    runner.run(pending.execution_id, FakePerformer(prepare_error=crash))

    execution = _execution(pending)
    assert execution.status == ExecutionStatus.FAILED
    assert execution.attempts == 1
    assert execution.last_error is not None
    assert "internal error while preparing the task (ValueError)" in execution.last_error
    assert "Fernet key" not in execution.last_error  # details stay in the worker log


SEEN_CONTEXTS: list[dict[str, object]] = []


class ContextRecorder(FakePerformer):
    """Records the log context in force while the carrier would be called."""

    def perform(self, prepared: str) -> Report:
        SEEN_CONTEXTS.append(dict(current_context()))
        return super().perform(prepared)


def test_lines_logged_while_an_execution_runs_name_it_its_client_and_sim(
    sqlite_database: str, published: list[Message]
) -> None:
    pending = _pending(1)
    SEEN_CONTEXTS.clear()

    runner.run(pending.execution_id, ContextRecorder())

    [context] = SEEN_CONTEXTS
    assert context["execution_id"] == pending.execution_id
    assert context["client_id"] == pending.client_id
    assert context["iccid"] == f.iccid(1)
    assert current_context() == {}  # nothing leaks past the run
