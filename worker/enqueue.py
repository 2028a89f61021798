"""The one enqueue helper: ring Celery's doorbell for executions, only after their transaction commits.

A lost or failed publish loses nothing: the execution row stays due and the relay publishes it again.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from models import TaskExecution
from models.db import after_commit
from services import task_types

log = logging.getLogger(__name__)

_PENDING = "commissioner.publish"

Message = tuple[int, str, str, float]  # execution id, task name, queue, countdown seconds


def message_for(execution: TaskExecution, task_type_name: str, countdown: float = 0.0) -> Message:
    task_type = task_types.get(task_type_name)
    return (execution.id, task_type.celery_task, task_type.queue, countdown)


def publish_after_commit(session: Session, messages: list[Message]) -> None:
    """Publish ``messages`` once the session's transaction commits; marks them as published now."""
    if not messages:
        return
    pending: list[Message] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        batch = pending
        after_commit(session, lambda: _publish_later(batch))
    pending.extend(messages)


def _publish_later(messages: list[Message]) -> None:
    publish(messages)  # looked up at call time, so tests can capture what is published


def publish(messages: list[Message]) -> int:
    """Send the messages now; returns how many were sent. Never raises: the relay covers failures."""
    from worker.celery import app  # the Celery app is only needed by processes that publish

    sent = 0
    try:
        with app.producer_or_acquire() as producer:
            for execution_id, name, queue, countdown in messages:
                app.send_task(
                    name,
                    args=[execution_id],
                    queue=queue,
                    countdown=countdown or None,
                    producer=producer,
                    retry=False,
                )
                sent += 1
    except Exception as exc:  # broker down, timeouts: all recoverable by the relay
        log.debug("publish failed", exc_info=True)
        log.warning(
            "could not publish %d of %d executions (%s); the relay will publish them",
            len(messages) - sent,
            len(messages),
            type(exc).__name__,
        )
    return sent
