"""The relay: publish again what is due but whose Celery message was lost (broker restart, crash), and
fail what could not be done in time. Celery beat runs it every few seconds (``worker/relay.py``)."""

from __future__ import annotations

import logging

from models.db import unit_of_work
from pipeline import executions
from pipeline.outbox import publish_after_commit

log = logging.getLogger(__name__)


def sweep() -> int:
    """Publish every due execution that has no recent doorbell; returns how many."""
    with unit_of_work() as session:
        expired = executions.expire_stale(session)
    if expired:
        log.warning("relay failed %d executions that were not done in time", expired)
    with unit_of_work() as session:
        messages = executions.due_for_publish(session)
        publish_after_commit(session, messages)
    if messages:
        log.info("relay published %d due executions", len(messages))
    return len(messages)
