"""The SIM console's Celery task: carry out one request (status, SMS or rate plan) on one SIM."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.orm import Session

from features.commissioning import sim_job
from features.commissioning.sim_job import SimJob
from features.sim_console.task_type import SEND_SMS, SET_STATUS
from models import ExecutionStatus
from pipeline.executions import Claim
from pipeline.runner import Report, run


class SimConsolePerformer:
    """A status change (confirmed as commissioning confirms it), an SMS or a rate plan change."""

    def prepare(self, session: Session, claim: Claim) -> SimJob:
        return sim_job.prepare(session, claim)

    def perform(self, job: SimJob) -> Report:
        action = job.options["action"]
        if action == SET_STATUS:
            return sim_job.change_status(job, job.options["status"])
        if action == SEND_SMS:
            return _send_sms(job)
        return _change_rate_plan(job)


def _send_sms(job: SimJob) -> Report:
    sms_id = job.carrier.send_sms(job.iccid, job.options["text"])
    status = job.carrier.get_sms(sms_id).status or "unknown"
    return Report(ExecutionStatus.SUCCEEDED, f"SMS sent, carrier message id {sms_id}, status {status}")


def _change_rate_plan(job: SimJob) -> Report:
    plan = job.options["rate_plan"]
    job.carrier.set_rate_plan(job.iccid, plan)
    if sim_job.read_back(lambda: job.carrier.get_sim(job.iccid).rate_plan == plan):
        return Report(ExecutionStatus.SUCCEEDED, f"rate plan {plan}, confirmed by the carrier")
    return Report(
        ExecutionStatus.UNCONFIRMED, f"the carrier accepted rate plan {plan} but does not show it yet"
    )


@shared_task(name="sim_console.request", ignore_result=True)
def carry_out(execution_id: int) -> None:
    """Carry out one SIM console request (status, SMS or rate plan)."""
    run(execution_id, SimConsolePerformer())
