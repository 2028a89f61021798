"""The SIM console's live reads from the carrier: overview, usage and the rate plans on offer.

Reads are made where staff ask (CLI, web), through the same paced per-account client as the tasks,
so they count against the account's calls-per-second budget and fail with the same clear messages.
Changes are never made here: they go through services.sims.request and a Celery task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from models import utcnow
from worker.carriers.jasper import DeviceDetails, Usage
from worker.carriers.pool import Account, clients


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
