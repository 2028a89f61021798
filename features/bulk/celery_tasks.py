"""Bulk jobs in the background: each run of ``bulk.apply`` applies the next rows of a job, then rings
for the next run.

The job's rows are the truth, as executions are for the Jasper task: a row is marked applied in the
transaction of its press, so a worker killed mid-run loses at most the row in flight, and any later
run (the next message, a Resume from the page, the same file uploaded again) carries on from the
first queued row without applying one twice. Runs are short (``ROWS_PER_RUN`` rows), so none comes
near the task time limit, and the next run is published only after the rows committed.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from centre.errors import NotFound
from features.bulk import jobs
from models.db import after_commit, unit_of_work
from pipeline import outbox

log = logging.getLogger(__name__)

TASK = "bulk.apply"
QUEUE = "commissioner"
# A row is one short transaction (tens of milliseconds): a run takes seconds, far below the time limit.
ROWS_PER_RUN = 100
# A database that is down gets this many retries, a minute apart at most; then the job waits for Resume.
DATABASE_RETRIES = 10


@shared_task(name=TASK, bind=True, ignore_result=True)
def apply(self: Task, job_id: int, operator: str) -> int:
    """Apply up to ``ROWS_PER_RUN`` queued rows of job ``job_id`` as ``operator``; returns how many."""
    applied = 0
    try:
        applied = jobs.apply_rows(job_id, operator, limit=ROWS_PER_RUN)
    except NotFound:
        log.warning("bulk job %s no longer exists: nothing to apply", job_id)
        return 0
    except SoftTimeLimitExceeded:
        # The row in flight was rolled back; the rows before it are committed. Carry on in a new run.
        log.warning("bulk job %s: run stopped at its time limit; the next run carries on", job_id)
    except OperationalError as exc:
        log.warning("bulk job %s: database unavailable (%s); retrying", job_id, type(exc).__name__)
        raise self.retry(countdown=min(60, 2**self.request.retries), max_retries=DATABASE_RETRIES) from None
    with unit_of_work() as session:
        queued = jobs.progress(session, job_id).queued
        if queued:
            publish_after_commit(session, job_id, operator)
    log.info("bulk job %s: %d rows applied in this run, %d still queued", job_id, applied, queued)
    return applied


def publish_after_commit(session: Session, job_id: int, operator: str) -> None:
    """Publish a run of job ``job_id`` once the session's transaction commits (never if it rolls back)."""
    after_commit(session, lambda: _publish_later(job_id, operator))


def _publish_later(job_id: int, operator: str) -> None:
    publish(job_id, operator)  # looked up at call time, so tests can capture what is published


def publish(job_id: int, operator: str) -> bool:
    """Send a run of job ``job_id`` now. Never raises: a job whose message is lost waits for Resume."""
    try:
        outbox.send(TASK, [job_id, operator], QUEUE)
    except Exception as exc:  # broker down, timeouts: the job's page offers Resume
        log.debug("publish failed", exc_info=True)
        log.warning("could not publish a run of bulk job %s (%s)", job_id, type(exc).__name__)
        return False
    return True
