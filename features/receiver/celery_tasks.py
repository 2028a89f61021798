"""Verified commissioning and test timers, on beat every minute (features/receiver/verify.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from features.receiver import verify

log = logging.getLogger(__name__)


@shared_task(name="receiver.watch", ignore_result=True)
def watch() -> None:
    """Adopt new activations; report panels silent after commissioning and missed test reports."""
    logged = verify.sweep()
    if logged:
        log.info("panel watch: %d signals logged", logged)
