"""The Jasper tasks: set a SIM's status (commissioning) or carry out a SIM console request, at Cisco IoT
Control Center, confirming changes by reading them back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from config import get_settings
from models import ExecutionStatus
from services import secrets
from services.executions import Claim
from services.task_types import jasper_console
from services.task_types.jasper import wanted_status
from worker.carriers import readback
from worker.carriers.jasper import JasperClient, StatusChange
from worker.carriers.pool import Account, Pressure, clients, load_account
from worker.celery import app
from worker.runner import Report, TargetError, TaskLevelError, run


@dataclass(frozen=True)
class SimJob:
    """One execution's work on one SIM: the account to call, the SIM and the execution's options."""

    account: Account
    iccid: str
    options: dict[str, Any]


def prepare_sim_job(session: Session, claim: Claim) -> SimJob:
    """Read the carrier account of the execution's SIM (in the claim's transaction)."""
    try:
        account = load_account(session, claim.target["communicator_type_id"])
    except secrets.SecretUnreadable as exc:
        raise TaskLevelError(str(exc)) from None
    if account is None:
        raise TargetError("the add-on device's communicator type no longer exists")
    return SimJob(account, claim.target["iccid"], claim.options)


def change_status(client: JasperClient, pressure: Pressure, iccid: str, wanted: str) -> Report:
    """Set the SIM's status and confirm it by reading it back (a read shared with other threads
    confirming changes on the same account, see worker.carriers.readback)."""
    edit = client.set_status(iccid, wanted)
    if edit.change is StatusChange.ALREADY:
        return Report(ExecutionStatus.SUCCEEDED, f"already {wanted}")
    settings = get_settings()
    if settings.confirm_attempts == 0:
        return Report(ExecutionStatus.SUCCEEDED, f"{wanted}, accepted by the carrier (read-back is off)")
    if _read_back(lambda: readback.shows(client, iccid, wanted, edit.carrier_time, pressure)):
        return Report(ExecutionStatus.SUCCEEDED, f"{wanted}, confirmed by the carrier")
    return Report(
        ExecutionStatus.UNCONFIRMED,
        f"the carrier accepted {wanted} but does not show it yet; accepted, not yet confirmed",
    )


def _read_back(shows_change: Callable[[], bool]) -> bool:
    """Read until the carrier shows the change, a bounded number of times."""
    settings = get_settings()
    for attempt in range(settings.confirm_attempts):
        if attempt:
            time.sleep(settings.confirm_interval_s)
        if shows_change():
            return True
    return False


class JasperPerformer:
    """Commissioning: activate or deactivate the SIM as the assignment's Command Type says."""

    def prepare(self, session: Session, claim: Claim) -> SimJob:
        return prepare_sim_job(session, claim)

    def perform(self, job: SimJob) -> Report:
        account = job.account
        return change_status(
            clients.get(account), clients.pressure(account), job.iccid, wanted_status(job.options)
        )


class SimConsolePerformer:
    """The SIM console: a status change, an SMS or a rate plan change, as the options say."""

    def prepare(self, session: Session, claim: Claim) -> SimJob:
        return prepare_sim_job(session, claim)

    def perform(self, job: SimJob) -> Report:
        client = clients.get(job.account)
        action = job.options["action"]
        if action == jasper_console.SET_STATUS:
            return change_status(client, clients.pressure(job.account), job.iccid, job.options["status"])
        if action == jasper_console.SEND_SMS:
            sms_id = client.send_sms(job.iccid, job.options["text"])
            status = client.get_sms(sms_id).status or "unknown"
            return Report(
                ExecutionStatus.SUCCEEDED, f"SMS sent, carrier message id {sms_id}, status {status}"
            )
        plan = job.options["rate_plan"]
        client.set_rate_plan(job.iccid, plan)
        if _read_back(lambda: client.get_device(job.iccid).rate_plan == plan):
            return Report(ExecutionStatus.SUCCEEDED, f"rate plan {plan}, confirmed by the carrier")
        return Report(
            ExecutionStatus.UNCONFIRMED, f"the carrier accepted rate plan {plan} but does not show it yet"
        )


@app.task(name="jasper.set_sim_status", ignore_result=True)
def set_sim_status(execution_id: int) -> None:
    """Carry out one Jasper task execution (activate or deactivate one SIM)."""
    run(execution_id, JasperPerformer())


@app.task(name="jasper.sim_action", ignore_result=True)
def sim_action(execution_id: int) -> None:
    """Carry out one SIM console request (status, SMS or rate plan)."""
    run(execution_id, SimConsolePerformer())
