"""The Celery tasks beat runs for the pipeline itself: the relay (see pipeline/relay.py), and pruning the
embedded broker's table."""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from config import get_config
from models.db import get_engine
from pipeline import relay

log = logging.getLogger(__name__)


# Its own time limits: the default ones follow the execution lease, which a large sweep may outlast.
@shared_task(name="relay.sweep", acks_late=False, ignore_result=True, soft_time_limit=120, time_limit=150)
def sweep() -> int:
    """Publish every due execution that has no recent doorbell; returns how many."""
    return relay.sweep()


@shared_task(name="broker.prune", acks_late=False, ignore_result=True, soft_time_limit=60, time_limit=90)
def prune_broker() -> int:
    """Delete the messages the embedded broker (kombu's SQLAlchemy transport) has delivered; returns how
    many. The transport only marks a delivered message invisible, so its table grew for ever."""
    url = get_config().effective_broker_url
    if not url.startswith("sqla+"):
        return 0
    try:
        with get_engine(url.removeprefix("sqla+")).begin() as conn:
            deleted = conn.execute(
                text("DELETE FROM kombu_message WHERE visible = :delivered"), {"delivered": False}
            ).rowcount
    except DBAPIError as exc:  # no message table yet, or the broker's database is busy: next time
        log.info("broker prune skipped: %s", type(exc).__name__)
        return 0
    if deleted:
        log.info("broker prune: %d delivered messages deleted", deleted)
    return int(deleted)
