"""The SIM console's live reads from the carrier: overview, usage and the rate plans on offer; and the
retry of an execution, checked as its first request was.

Reads are made where staff ask (CLI, web), through the same paced per-account client as the tasks,
so they count against the account's calls-per-second budget and fail with the same clear messages.
Changes are never made here: they go through services.sims.request and a Celery task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from models import utcnow
from models.db import unit_of_work
from services import executions, secrets
from services.errors import Conflict, InvalidInput, NotFound
from services.task_types.jasper_console import transition_problem
from worker.carriers.jasper import DeviceDetails, Usage
from worker.carriers.pool import Account, clients, load_account


@dataclass(frozen=True)
class Overview:
    """What the carrier says of one SIM, and when it said it."""

    device: DeviceDetails
    overage_limit_reached: bool | None
    overage_limit_override: str | None
    read_at: datetime


def overview(account: Account, iccid: str) -> Overview:
    """Status, plans and dates of the SIM, with its overage state (two carrier calls)."""
    client = clients.get(account)
    device = client.get_device(iccid)
    usage = client.get_usage(iccid)
    return Overview(device, usage.overage_limit_reached, usage.overage_limit_override, utcnow())


def device(account: Account, iccid: str) -> DeviceDetails:
    """The SIM's status, plans and dates as the carrier has them now (one carrier call)."""
    return clients.get(account).get_device(iccid)


def usage(account: Account, iccid: str, cycle_start: date | None = None) -> Usage:
    """Data, SMS and voice used in the billing cycle starting ``cycle_start`` (default: current)."""
    return clients.get(account).get_usage(iccid, cycle_start)


def rate_plans(account: Account) -> list[str]:
    """The rate plans the carrier offers this account."""
    return clients.get(account).list_rate_plans()


@dataclass(frozen=True)
class Retried:
    """The execution a retry created, and its client."""

    execution_id: int
    client_id: int


def _account(session: Session, communicator_type_id: int) -> Account | None:
    try:
        return load_account(session, communicator_type_id)
    except secrets.SecretUnreadable as exc:
        raise InvalidInput(f"{exc}; enter the API key again") from None


def retry(execution_id: int, operator: str, *, admin: bool, confirmed: bool = False) -> Retried:
    """Retry a finished execution as ``operator``; returns the new execution.

    Checked exactly as the first request was: who may ask for it (retiring a SIM and changing its rate
    plan are for admins), its confirmation (retiring), and, for a status change, the carrier's rules
    against the SIM's status read live now (no transaction is open during the read). Raises the
    services' user errors, or the carrier's error when the SIM cannot be read.
    """
    with unit_of_work() as session:
        found = executions.retryable(session, execution_id, admin=admin, confirmed=confirmed)
        account = None
        if found.status_to_check:
            account = _account(session, found.target["communicator_type_id"])
    if found.status_to_check:
        if account is None:
            raise NotFound("the SIM's communicator type no longer exists: there is nothing to retry")
        refused = transition_problem(device(account, found.target["iccid"]).status, found.status_to_check)
        if refused:
            raise Conflict(f"Not retried: {refused}.")
    with unit_of_work() as session:
        new = executions.retry(
            session, execution_id, operator, admin=admin, confirmed=confirmed, checked_live=True
        )
        return Retried(new.id, new.client_id)
