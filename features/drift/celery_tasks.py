"""Periodic drift reconciliation (celery beat): one task per carrier account."""

from __future__ import annotations

import logging

from celery import shared_task

from carriers.errors import CarrierError
from features.drift.read import accounts_to_read, run_account

log = logging.getLogger(__name__)


@shared_task(name="reconcile.sweep", ignore_result=True)
def sweep() -> None:
    """Start a reconciliation of every carrier account that can list what changed."""
    for communicator_type_id in accounts_to_read():
        reconcile_account.delay(communicator_type_id)


@shared_task(name="reconcile.account", ignore_result=True)
def reconcile_account(communicator_type_id: int) -> None:
    """Reconcile one account; a carrier failure waits for the next run (the cursor did not move)."""
    try:
        summary = run_account(communicator_type_id)
    except CarrierError as exc:
        log.warning("reconciliation of communicator type %s failed: %s", communicator_type_id, exc.message)
        return
    log.info("reconciliation: %s", summary.text())
