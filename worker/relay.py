"""The relay's Celery task, which beat schedules (``relay_interval_s``): see pipeline/relay.py."""

from __future__ import annotations

from celery import shared_task

from pipeline import relay


# Its own time limits: the default ones follow the execution lease, which a large sweep may outlast.
@shared_task(name="relay.sweep", acks_late=False, ignore_result=True, soft_time_limit=120, time_limit=150)
def sweep() -> int:
    """Publish every due execution that has no recent doorbell; returns how many."""
    return relay.sweep()
