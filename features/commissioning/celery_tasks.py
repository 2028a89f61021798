"""The Jasper task's Celery task: activate or deactivate one SIM, confirmed by reading it back."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.orm import Session

from features.commissioning import sim_job
from features.commissioning.sim_job import SimJob
from features.commissioning.task_type import wanted_state
from pipeline.executions import Claim
from pipeline.runner import Report, run


class JasperPerformer:
    """Commissioning: activate or deactivate the SIM as the assignment's Command Type says."""

    def prepare(self, session: Session, claim: Claim) -> SimJob:
        return sim_job.prepare(session, claim)

    def perform(self, job: SimJob) -> Report:
        return sim_job.change_status(job, job.platform.status_for(wanted_state(job.options)))


@shared_task(name="jasper.set_sim_status", ignore_result=True)
def set_sim_status(execution_id: int) -> None:
    """Carry out one Jasper task execution (activate or deactivate one SIM)."""
    run(execution_id, JasperPerformer())
