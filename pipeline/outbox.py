"""The outbox: ring Celery's doorbell for work, only after the transaction that created it commits.

A lost or failed publish loses nothing: the execution row stays due and the relay publishes it again.
The Celery app is handed in by whoever creates it (``worker/celery.py`` calls ``install``): the pipeline
never imports the worker.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from config import get_config
from models import TaskExecution
from models.db import after_commit
from pipeline import task_types

log = logging.getLogger(__name__)

_PENDING = "commissioner.publish"

Message = tuple[int, str, str, float]  # execution id, task name, queue, countdown seconds


class Broker(Protocol):
    """What the outbox needs of a Celery app."""

    def producer_or_acquire(self) -> Any: ...

    def send_task(self, name: str, **options: Any) -> Any: ...


_broker: Broker | None = None


def install(broker: Broker) -> None:
    """Publish through ``broker`` (the process's Celery app) from now on."""
    global _broker
    _broker = broker


def _installed() -> Broker:
    if _broker is None:
        raise RuntimeError("no Celery app is installed in this process (import worker.celery first)")
    return _broker


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
    sent = 0
    try:
        app = _installed()
        with app.producer_or_acquire() as producer:
            for execution_id, name, queue, countdown in messages:
                app.send_task(
                    name,
                    args=[execution_id],
                    queue=get_config().queue(queue),
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


def send(name: str, args: list[Any], queue: str) -> None:
    """Send one message for Celery task ``name`` now; raises what the broker raised.

    For work whose rows are its own truth and that the relay does not cover (a bulk job's next run).
    """
    _installed().send_task(name, args=args, queue=get_config().queue(queue), retry=False)
