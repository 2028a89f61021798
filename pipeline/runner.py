"""Run one task execution: claim it, act outside any transaction, record the outcome under the lease.

Every task type's Celery task is this runner plus a Performer: ``prepare`` reads what the carrier call
needs inside the claim's transaction, ``perform`` makes the calls. The runner maps carrier exceptions
to the execution's fate: transient ones are retried later, final ones fail it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from config.logs import log_context
from models import ExecutionStatus
from models.db import unit_of_work
from pipeline import executions
from pipeline.executions import Claim

log = logging.getLogger(__name__)

P = TypeVar("P")


class TargetError(Exception):
    """The execution cannot act on its target (device gone, no ICCID ...): a final failure."""


class TaskLevelError(Exception):
    """Every execution of the task would fail the same way (credentials ...): logged on its account too."""


@dataclass(frozen=True)
class Report:
    """What ``perform`` achieved: SUCCEEDED, or UNCONFIRMED (accepted but not yet seen applied)."""

    status: ExecutionStatus
    text: str


class Performer(Protocol[P]):
    def prepare(self, session: Session, claim: Claim) -> P: ...

    def perform(self, prepared: P) -> Report: ...


def run(execution_id: int, performer: Performer[Any]) -> None:
    """Claim execution ``execution_id`` and carry it out; a no-op when there is nothing to do.

    Every line logged meanwhile carries the execution, and once claimed its client and ICCID.
    """
    with log_context(execution_id=execution_id):
        with unit_of_work() as session:
            claim = executions.claim(session, execution_id)
            if claim is None:
                return
            prepared, problem = _prepare(session, claim, performer)
        with log_context(client_id=claim.client_id, iccid=claim.target.get("iccid")):
            _carry_out(claim, performer, prepared, problem)


def _carry_out(claim: Claim, performer: Performer[Any], prepared: Any, problem: Exception | None) -> None:
    if problem is not None:
        _fail(claim, problem)
        return
    try:
        report = performer.perform(prepared)
    except CarrierError as exc:
        _carrier_failed(claim, exc)
        return
    except Exception as exc:
        # Not a carrier answer we know: a bug, or something we did not foresee. Retried within the
        # attempt budget (it may be passing), with the traceback in the log for whoever fixes it.
        log.exception("execution %s (%s): unexpected error", claim.execution_id, claim.label)
        with unit_of_work() as session:
            text = f"failed: internal error ({type(exc).__name__}); see the worker log"
            executions.retry_later(session, claim, text, executions.backoff(claim.attempt))
        return
    log.info("execution %s (%s): %s", claim.execution_id, claim.label, report.text)
    with unit_of_work() as session:
        executions.complete(session, claim, report.status, report.text)


def _prepare(session: Session, claim: Claim, performer: Performer[Any]) -> tuple[Any, Exception | None]:
    error = claim.target.get("error")
    if error:
        return None, TargetError(error)
    try:
        return performer.prepare(session, claim), None
    except (TargetError, TaskLevelError) as exc:
        return None, exc
    except Exception as exc:
        # A bug or a broken configuration (say, a malformed encryption key on this worker). Rolling the
        # claim back would leave the attempt uncounted and the execution would be re-sent for ever.
        log.exception("execution %s: preparing failed", claim.execution_id)
        return None, TaskLevelError(
            f"internal error while preparing the task ({type(exc).__name__}); see the worker log"
        )


def _fail(claim: Claim, problem: Exception) -> None:
    task_level = isinstance(problem, TaskLevelError)
    log.warning("execution %s (%s) failed: %s", claim.execution_id, claim.label, problem)
    with unit_of_work() as session:
        executions.complete(session, claim, ExecutionStatus.FAILED, str(problem), task_level=task_level)


def _carrier_failed(claim: Claim, exc: CarrierError) -> None:
    text = f"failed: {exc.message}"
    if isinstance(exc, CarrierUnavailable):
        delay = executions.backoff(claim.attempt)
        if isinstance(exc, CarrierRateLimited) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        log.info(
            "execution %s (%s) attempt %d: %s; retrying in %.1f s",
            claim.execution_id,
            claim.label,
            claim.attempt,
            exc.message,
            delay,
        )
        with unit_of_work() as session:
            executions.retry_later(
                session,
                claim,
                text,
                delay,
                error_code=exc.error_code,
                count_attempt=not isinstance(exc, CarrierRateLimited),
            )
        return
    assert isinstance(exc, CarrierRejected)
    log.warning("execution %s (%s): %s", claim.execution_id, claim.label, exc.message)
    with unit_of_work() as session:
        executions.complete(
            session,
            claim,
            ExecutionStatus.FAILED,
            text,
            error_code=exc.error_code,
            task_level=isinstance(exc, CarrierAuthFailed),
        )
