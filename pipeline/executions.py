"""The life of a task execution: claim under a lease, then succeed, fail, retry later or be superseded.

Celery delivers a message at least once, maybe never (the relay then re-sends it), maybe twice; the
execution row decides what happens. Each function here is one short transaction's work: no transaction
is held open while a carrier is called.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from centre import oplog
from centre.errors import Conflict, InvalidInput, NotFound
from config import get_config
from models import (
    ACTIVE_STATUSES,
    Client,
    ExecutionStatus,
    Outcome,
    Signal,
    SignalSource,
    Task,
    TaskExecution,
    utcnow,
)
from models.task_execution import ERROR_CODE_LENGTH
from pipeline import resolution, signals, system_events, task_types
from pipeline.outbox import Message, message_for, publish_after_commit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """What a worker holds while it acts: primitives only, valid while its lease lasts."""

    execution_id: int
    lease_token: int
    attempt: int
    task_type: str
    client_id: int
    options: dict[str, Any]
    target: dict[str, Any]
    cause_depth: int  # of the signal that fired the execution: its outcome signal is one deeper

    @property
    def label(self) -> str:
        return task_types.get(self.task_type).describe(self.options, self.target)


@dataclass(frozen=True)
class Busy:
    """An older execution on the same target still holds its lease: try again after ``wait_s``."""

    wait_s: float


_OUTCOME_SIGNAL = {
    ExecutionStatus.SUCCEEDED: (system_events.TASK_SUCCEEDED, Outcome.SUCCEEDED),
    ExecutionStatus.FAILED: (system_events.TASK_FAILED, Outcome.FAILED),
    ExecutionStatus.SUPERSEDED: (system_events.TASK_SUPERSEDED, Outcome.SUPERSEDED),
    ExecutionStatus.UNCONFIRMED: (system_events.TASK_UNCONFIRMED, Outcome.UNCONFIRMED),
}


def _locked(session: Session, execution_id: int) -> TaskExecution | None:
    return session.get(TaskExecution, execution_id, with_for_update=True, populate_existing=True)


def claim(session: Session, execution_id: int, now: datetime | None = None) -> Claim | None:
    """Take the lease on a due execution; None when there is nothing to do now.

    Nothing to do: it is finished, not yet due, leased by another worker, superseded by a newer
    execution on its target (recorded here), waiting for an older one on its target (rung again
    shortly), or out of attempts (failed here).
    """
    now = now or utcnow()
    execution, cause_depth, same_target = _lock_with_target(session, execution_id)
    if execution is None or execution.status not in ACTIVE_STATUSES:
        return None
    if execution.next_attempt_at > now or (execution.lease_until and execution.lease_until > now):
        return None
    task = resolution.task(session, execution.task_id)
    assert task is not None  # a foreign key
    ordered = _check_order(session, execution, cause_depth, same_target, now)
    if isinstance(ordered, Busy):
        _ring_later(session, execution, task.type, ordered.wait_s, now)
    if ordered is not None:
        return None
    config = get_config()
    if execution.attempts >= config.retry_max_attempts:
        _finish(session, execution, ExecutionStatus.FAILED, _gave_up(execution), now, cause_depth=cause_depth)
        return None
    execution.status = ExecutionStatus.RUNNING
    execution.attempts += 1
    execution.lease_token += 1
    execution.lease_until = now + timedelta(seconds=config.lease_s)
    execution.started_at = execution.started_at or now
    session.flush()
    return Claim(
        execution_id=execution.id,
        lease_token=execution.lease_token,
        attempt=execution.attempts,
        task_type=task.type,
        client_id=execution.client_id,
        options=dict(execution.options),
        target=dict(execution.target),
        cause_depth=cause_depth,
    )


def _lock_with_target(
    session: Session, execution_id: int
) -> tuple[TaskExecution | None, int, list[TaskExecution]]:
    """Lock and read the execution and the others on its target that decide its order, in one statement.

    Every claimer locks in id order before deciding anything: one lock order for all, so two workers
    claiming on one SIM wait for each other instead of deadlocking. Locked are the executions that can
    matter: this one, newer ones (they supersede it) and active older ones (they make it wait). With
    them comes the depth of the signal that fired each.
    """
    target_key = select(TaskExecution.target_key).where(TaskExecution.id == execution_id).scalar_subquery()
    same_target = TaskExecution.target_key == target_key
    matters = or_(TaskExecution.id >= execution_id, TaskExecution.status.in_(ACTIVE_STATUSES))
    rows = session.execute(
        select(TaskExecution, Signal.depth)
        .join(Signal, Signal.id == TaskExecution.signal_id)
        .where(or_(TaskExecution.id == execution_id, and_(same_target, matters)))
        .order_by(TaskExecution.id)
        .with_for_update(of=TaskExecution)
        .execution_options(populate_existing=True)
    ).all()
    found = next((row for row in rows if row[0].id == execution_id), None)
    if found is None:
        return None, 0, []
    return found[0], found[1], [row[0] for row in rows if row[0].id != execution_id]


def _gave_up(execution: TaskExecution) -> str:
    last = execution.last_error or "no error was recorded (the worker may have died)"
    return f"gave up after {execution.attempts} attempts; last error: {last}"


def _check_order(
    session: Session,
    execution: TaskExecution,
    cause_depth: int,
    same_target: list[TaskExecution],
    now: datetime,
) -> Busy | bool | None:
    """Supersede ``execution`` if a newer one on its target exists; Busy if an older one is running.

    ``same_target`` are the target's other executions that matter, locked (``_lock_with_target``), so
    two workers cannot both go.
    """
    newer = [e for e in same_target if e.id > execution.id]
    if newer:
        text = f"superseded by a later request for the same target (execution {newer[-1].id})"
        _finish(session, execution, ExecutionStatus.SUPERSEDED, text, now, cause_depth=cause_depth)
        return True
    leases = [
        e.lease_until
        for e in same_target
        if e.status in ACTIVE_STATUSES and e.lease_until is not None and e.lease_until > now
    ]
    if leases:
        return Busy(wait_s=min(5.0, max(0.5, (min(leases) - now).total_seconds())))
    return None


def _fenced(session: Session, claim: Claim) -> TaskExecution | None:
    """The execution if ``claim`` still holds it; None if a newer claim or outcome overtook it."""
    execution = _locked(session, claim.execution_id)
    if execution is None or execution.lease_token != claim.lease_token:
        return None
    if execution.status != ExecutionStatus.RUNNING:
        return None
    return execution


def complete(
    session: Session,
    claim: Claim,
    status: ExecutionStatus,
    text: str,
    *,
    error_code: str | None = None,
    task_level: bool = False,
) -> bool:
    """Record the outcome of a claimed execution; False if the claim was fenced out (nothing written)."""
    execution = _fenced(session, claim)
    if execution is None:
        log.warning(
            "execution %s: outcome dropped, lease %s was overtaken",
            claim.execution_id,
            claim.lease_token,
        )
        return False
    execution.error_code = clipped_code(error_code)
    _finish(session, execution, status, text, utcnow(), task_level=task_level, cause_depth=claim.cause_depth)
    return True


def clipped_code(error_code: str | None) -> str | None:
    """A carrier's error code as the column holds it: a longer one must not fail the outcome's write."""
    return error_code[:ERROR_CODE_LENGTH] if error_code else error_code


def _finish(
    session: Session,
    execution: TaskExecution,
    status: ExecutionStatus,
    text: str,
    now: datetime,
    *,
    task_level: bool = False,
    cause_depth: int | None = None,
) -> None:
    execution.status = status
    execution.finished_at = now
    execution.lease_until = None
    if status != ExecutionStatus.SUCCEEDED:
        execution.last_error = text
    session.flush()
    type_no, outcome = _OUTCOME_SIGNAL[status]
    task = resolution.task(session, execution.task_id)
    assert task is not None  # a foreign key
    memo = f"{_label(task, execution)}: {text}"
    accounts = [execution.client_id]
    if task_level and task.system_account_id and task.system_account_id != execution.client_id:
        accounts.append(task.system_account_id)
    for client_id in accounts:
        _outcome_signal(session, execution, client_id, type_no, outcome, memo, cause_depth)


def _label(task: resolution.TaskRef, execution: TaskExecution) -> str:
    task_type = task_types.find(task.type)
    if task_type is None:
        return f"task {task.task_no} ({task.type})"
    return task_type.describe(execution.options, execution.target)


def _outcome_signal(
    session: Session,
    execution: TaskExecution,
    client_id: int,
    type_no: int,
    outcome: Outcome,
    memo: str,
    cause_depth: int | None,
) -> None:
    client = session.get(Client, client_id)
    assert client is not None  # a foreign key
    if cause_depth is None:
        cause_depth = session.scalar(select(Signal.depth).where(Signal.id == execution.signal_id))
        assert cause_depth is not None  # a foreign key
    signals.log_signal(
        session,
        client,
        type_no,
        source=SignalSource.AUTO,
        memo=memo,
        execution_id=execution.id,
        outcome=outcome,
        depth=cause_depth + 1,
    )


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter and a floor, in seconds, for the ``attempt``-th failure."""
    config = get_config()
    ceiling = min(config.retry_max_delay_s, config.retry_base_delay_s * 2 ** (attempt - 1))
    return max(config.retry_base_delay_s / 2, random.uniform(0, ceiling))


def retry_later(
    session: Session,
    claim: Claim,
    error: str,
    delay_s: float,
    *,
    error_code: str | None = None,
    count_attempt: bool = True,
) -> bool:
    """Give the lease back and make the execution due again in ``delay_s``; fails it past the budget."""
    execution = _fenced(session, claim)
    if execution is None:
        return False
    config = get_config()
    if not count_attempt:
        execution.attempts -= 1  # the carrier's rate limit is not the execution's fault
    execution.last_error, execution.error_code = error, clipped_code(error_code)
    if execution.attempts >= config.retry_max_attempts:
        # The carrier stayed unreachable: every execution on that account is failing alike, so the
        # task's system account hears of it too.
        _finish(
            session,
            execution,
            ExecutionStatus.FAILED,
            _gave_up(execution),
            utcnow(),
            task_level=True,
            cause_depth=claim.cause_depth,
        )
        return True
    now = utcnow()
    execution.status = ExecutionStatus.PENDING
    execution.lease_until = None
    execution.next_attempt_at = now + timedelta(seconds=delay_s)
    _ring_later(session, execution, claim.task_type, delay_s, now)
    return True


def _ring_later(
    session: Session, execution: TaskExecution, task_type: str, delay_s: float, now: datetime
) -> None:
    # Short waits ride a Celery countdown; long ones wait in the database for the relay, because a
    # countdown longer than the broker's visibility timeout is delivered again and again.
    if delay_s <= get_config().max_countdown_s:
        execution.published_at = now + timedelta(seconds=delay_s)
        session.flush()
        publish_after_commit(session, [message_for(execution, task_type, delay_s)])
    else:
        execution.published_at = None
        session.flush()


def due_for_publish(session: Session, now: datetime | None = None) -> list[Message]:
    """Executions that are due but whose doorbell was lost: mark them published and return messages.

    Due means pending (or running with an expired lease: its worker died) with the next attempt time
    passed, and not published recently. PostgreSQL skips rows another relay has locked.
    """
    now = now or utcnow()
    config = get_config()
    cutoff = now - timedelta(seconds=config.relay_republish_after_s)
    rows = session.execute(
        select(TaskExecution.id, Task.type, TaskExecution.published_at)
        .join(Task, Task.id == TaskExecution.task_id)
        .where(
            TaskExecution.status.in_(ACTIVE_STATUSES),
            TaskExecution.next_attempt_at <= now,
            or_(TaskExecution.lease_until.is_(None), TaskExecution.lease_until < now),
            or_(TaskExecution.published_at.is_(None), TaskExecution.published_at < cutoff),
        )
        .order_by(TaskExecution.id)
        .limit(config.relay_batch)
        .with_for_update(skip_locked=True, of=TaskExecution)
    ).all()
    runnable = [row for row in rows if task_types.find(row.type) is not None]
    for row in rows:
        if task_types.find(row.type) is None:
            _fail_now(session, row.id, f"task type {row.type!r} is not installed on this system", now)
    if runnable:
        marks = [{"id": row.id, "published_at": _next_mark(row.published_at, now)} for row in runnable]
        session.execute(update(TaskExecution), marks)
    return [(row.id, *_route(row.type), 0.0) for row in runnable]


def _next_mark(published_at: datetime | None, now: datetime) -> datetime:
    """When an execution re-published now may be re-published again: later each time.

    A message that is only waiting in a long queue looks lost to the relay; re-publishing it every
    sweep would lengthen the queue and make more messages look lost (a flood). Each re-publish
    therefore waits as long again as the last gap, up to ten times ``relay_republish_after_s``.
    """
    config = get_config()
    gap = (now - published_at).total_seconds() if published_at else 0.0
    return now + timedelta(seconds=min(gap, config.relay_republish_after_s * 10))


def _route(task_type: str) -> tuple[str, str]:
    found = task_types.get(task_type)
    return found.celery_task, found.queue


def _fail_now(session: Session, execution_id: int, reason: str, now: datetime) -> None:
    execution = _locked(session, execution_id)
    if execution is not None and execution.status in ACTIVE_STATUSES:
        log.error("execution %s cannot run: %s", execution_id, reason)
        _finish(session, execution, ExecutionStatus.FAILED, reason, now, task_level=True)


def expire_stale(session: Session, now: datetime | None = None) -> int:
    """Fail executions still not finished ``execution_max_age_s`` after they were created.

    Nothing waits for ever: an execution that could not run in that time (carrier down for a day,
    a poison message) ends failed with the reason, where an operator sees it and can retry.
    """
    now = now or utcnow()
    config = get_config()
    cutoff = now - timedelta(seconds=config.execution_max_age_s)
    stale = session.scalars(
        select(TaskExecution.id)
        .where(
            TaskExecution.status.in_(ACTIVE_STATUSES),
            TaskExecution.created_at < cutoff,
            or_(TaskExecution.lease_until.is_(None), TaskExecution.lease_until < now),
        )
        .order_by(TaskExecution.id)
        .limit(config.relay_batch)
        .with_for_update(skip_locked=True)
    ).all()
    for execution_id in stale:
        execution = session.get(TaskExecution, execution_id)
        last = execution.last_error if execution and execution.last_error else "it never got to run"
        hours = config.execution_max_age_s / 3600
        _fail_now(session, execution_id, f"not done after {hours:g} h; last error: {last}", now)
    return len(stale)


@dataclass(frozen=True)
class Retryable:
    """A finished execution a person may retry, as they asked for it: its task type, options and target."""

    execution_id: int
    client_id: int
    task_type: str
    options: dict[str, Any]
    target: dict[str, Any]
    status_to_check: str | None  # a status whose carrier rules must be checked live before it is sent


def retryable(session: Session, execution_id: int, *, admin: bool, confirmed: bool) -> Retryable:
    """Check that the execution may be retried by whoever asks, exactly as its first request was checked.

    NotFound, InvalidInput (still running, succeeded, or a confirmation is missing), Conflict (a later
    request for the same target exists: retrying would undo it) or NotPermitted (the task type's request
    is for admins, e.g. retiring a SIM).
    """
    old = session.get(TaskExecution, execution_id)
    if old is None:
        raise NotFound(f"no task execution {execution_id}")
    if old.status in ACTIVE_STATUSES:
        raise InvalidInput(f"execution {execution_id} is still {old.status.value}: wait for its outcome")
    if old.status == ExecutionStatus.SUCCEEDED:
        raise InvalidInput(f"execution {execution_id} succeeded: there is nothing to retry")
    task = resolution.task(session, old.task_id)
    assert task is not None  # a foreign key
    task_type = task_types.get(task.type)
    task_type.authorize(old.options, admin=admin, confirmed=confirmed)
    if old.target_key is not None:
        later = session.scalar(
            select(TaskExecution.id)
            .where(TaskExecution.target_key == old.target_key, TaskExecution.id > old.id)
            .order_by(TaskExecution.id.desc())
            .limit(1)
        )
        if later is not None:
            raise Conflict(
                f"a later request for the same target exists (execution {later}): retrying "
                f"execution {execution_id} would undo it"
            )
    return Retryable(
        old.id,
        old.client_id,
        task.type,
        dict(old.options),
        dict(old.target),
        task_type.status_to_check(old.options),
    )


def retry(
    session: Session,
    execution_id: int,
    operator: str,
    *,
    admin: bool,
    confirmed: bool = False,
    checked_live: bool = False,
) -> TaskExecution:
    """An operator's retry of a finished execution: a new execution for the same target, published.

    Checked as ``retryable`` says. A request whose carrier rules must be read live first (a SIM console
    status change) is retried through ``features.sim_console.service.retry``, which reads them
    (``checked_live``).
    """
    checks = retryable(session, execution_id, admin=admin, confirmed=confirmed)
    if checks.status_to_check and not checked_live:
        raise RuntimeError(
            f"execution {execution_id} must be retried through features.sim_console.service.retry"
        )
    old = session.get(TaskExecution, execution_id)
    assert old is not None  # just checked
    new = TaskExecution(
        signal_id=old.signal_id,
        client_id=old.client_id,
        task_id=old.task_id,
        user_id=old.user_id,
        options=dict(old.options),
        target_key=old.target_key,
        target=dict(old.target),
        published_at=utcnow(),
    )
    session.add(new)
    session.flush()
    task = session.get(Task, old.task_id)
    assert task is not None
    oplog.record(
        session,
        operator,
        "execution.retry",
        f"retried execution {old.id} as {new.id}",
        client_id=old.client_id,
        entity_id=new.id,
    )
    publish_after_commit(session, [message_for(new, task.type)])
    return new
