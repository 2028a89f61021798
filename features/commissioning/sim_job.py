"""An execution's work on one SIM, as commissioning and the SIM console both do it: the carrier account
to call, read in the claim's transaction; a status change confirmed by reading it back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from carriers import pool, readback, registry
from carriers.accounts import CarrierAccount, load_account
from carriers.platform import Carrier, Platform, StatusChange
from config import get_config, secrets
from models import ExecutionStatus
from pipeline.executions import Claim
from pipeline.runner import Report, TargetError, TaskLevelError


@dataclass(frozen=True)
class SimJob:
    """One execution's work on one SIM: the account to call, the SIM and the execution's options."""

    account: CarrierAccount
    iccid: str
    options: dict[str, Any]

    @property
    def platform(self) -> Platform:
        return registry.platform(self.account.kind)

    @property
    def carrier(self) -> Carrier:
        return pool.carrier(self.account)


def prepare(session: Session, claim: Claim) -> SimJob:
    """Read the carrier account of the execution's SIM (in the claim's transaction)."""
    try:
        account = load_account(session, claim.target["communicator_type_id"])
    except secrets.SecretUnreadable as exc:
        raise TaskLevelError(str(exc)) from None
    if account is None:
        raise TargetError("the add-on device's communicator type no longer exists")
    return SimJob(account, claim.target["iccid"], claim.options)


def change_status(job: SimJob, wanted: str) -> Report:
    """Set the SIM's status and confirm it by reading it back (a read shared with other threads
    confirming changes on the same account, see carriers.readback)."""
    carrier, platform, pressure = job.carrier, job.platform, pool.pressure(job.account)
    edit = carrier.set_status(job.iccid, wanted)
    if edit.change is StatusChange.ALREADY:
        return Report(ExecutionStatus.SUCCEEDED, f"already {wanted}")
    if get_config().confirm_attempts == 0:
        return Report(ExecutionStatus.SUCCEEDED, f"{wanted}, accepted by the carrier (read-back is off)")
    if read_back(lambda: readback.shows(carrier, platform, job.iccid, wanted, edit.carrier_time, pressure)):
        return Report(ExecutionStatus.SUCCEEDED, f"{wanted}, confirmed by the carrier")
    return Report(
        ExecutionStatus.UNCONFIRMED,
        f"the carrier accepted {wanted} but does not show it yet; accepted, not yet confirmed",
    )


def read_back(shows_change: Callable[[], bool]) -> bool:
    """Read until the carrier shows the change, a bounded number of times."""
    config = get_config()
    for attempt in range(config.confirm_attempts):
        if attempt:
            time.sleep(config.confirm_interval_s)
        if shows_change():
            return True
    return False
