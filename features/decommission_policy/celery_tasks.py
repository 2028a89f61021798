"""Beat's sweep of the decommission policies: ask for every termination that is due."""

from __future__ import annotations

import logging

from celery import shared_task

from features.decommission_policy import service
from models.db import unit_of_work

log = logging.getLogger(__name__)


@shared_task(name="decommission_policy.sweep", ignore_result=True)
def sweep() -> None:
    """Queue the due terminations as executions (published once this transaction commits)."""
    with unit_of_work() as session:
        asked = service.run_due(session)
    if asked:
        log.info("decommission policy: %d SIM terminations asked for", len(asked))
