"""The SIM console as the pages and the JSON API both use it: find a client's SIM and its carrier
account, read it live, check the carrier's rules, then queue the request.

The rules and the queueing are the services' (services.sims, services.task_types.jasper_console) and
the reads are worker.console's, as for ``commissioner sim``. What is added here is only what both web
edges need: carrier reads made outside any transaction, their failures turned into one safe message,
and the role rule (retiring a SIM and changing its rate plan are for admins).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import redis
from sqlalchemy.orm import Session

from models import Client, Signal
from models.db import unit_of_work
from services import clients, communicator_types, sims
from services.errors import Conflict, InvalidInput
from services.task_types.jasper_console import (
    PRE_ACTIVATION,
    SEND_SMS,
    SET_RATE_PLAN,
    SET_STATUS,
    STATUSES,
    status_value,
    transition_problem,
)
from worker import console
from worker.carriers.errors import CarrierError, CarrierRateLimited, CarrierUnavailable
from worker.carriers.jasper import Usage
from worker.carriers.pool import Account

log = logging.getLogger("commissioner.web")
T = TypeVar("T")

RETIRED = "RETIRED"
ADMIN_ONLY_STATUSES = (RETIRED,)
STATUS_LABELS = {
    "INVENTORY": "Inventory",
    "ACTIVATION_READY": "Activation Ready",
    "ACTIVATED": "Activated",
    "DEACTIVATED": "Deactivated",
    "RETIRED": "Retired",
}
CYCLE_START_FORMAT = "YYYY-MM-DD"


class CarrierProblem(Exception):
    """A live read did not succeed. ``message`` is fit for staff and never carries a secret (the carrier
    client's messages never do); ``status`` is the HTTP status the JSON API answers with."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Located:
    """A client's SIM and the carrier account to ask about it, read in a transaction already closed."""

    client_id: int
    sim: sims.Sim
    account: Account

    @property
    def iccid(self) -> str:
        return self.sim.iccid


@dataclass(frozen=True)
class StatusChoice:
    """One status a SIM can be asked to take, and what the carrier's rules and our roles say of it."""

    status: str
    label: str
    refused: str | None  # why the carrier would refuse it now, or None
    admin_only: bool
    needs_confirmation: bool


@dataclass(frozen=True)
class Requested:
    """A console request logged on the client (65522) and queued for the workers."""

    execution_id: int
    signal_id: int
    description: str
    status: str


def locate(pick_client: Callable[[Session], Client], iccid: str) -> Located:
    """The SIM ``iccid`` of the client ``pick_client`` finds; NotFound if it is not one of its SIMs."""
    with unit_of_work() as session:
        client = pick_client(session)
        sim = sims.find(session, client, iccid)
        comm = communicator_types.get(session, sim.communicator_type_id)
        return Located(client.id, sim, communicator_types.carrier_account(comm))


def status_label(status: str) -> str:
    """How staff read a carrier status (one we do not know is shown as the carrier sent it)."""
    return STATUS_LABELS.get(status, status.replace("_", " ").title())


def status_choices(current: str | None) -> list[StatusChoice]:
    """Every status staff may ask for, with the carrier's rules applied to the SIM's ``current`` one
    (None when it could not be read: no rule is applied then, the request is checked when sent)."""
    return [
        StatusChoice(
            status,
            STATUS_LABELS[status],
            transition_problem(current, status) if current is not None else None,
            status in ADMIN_ONLY_STATUSES,
            status == RETIRED,
        )
        for status in STATUSES
    ]


def activated_before(current: str | None) -> bool:
    """Whether the carrier's "no move back to a pre-activation status" rule applies to the SIM now."""
    return current is not None and current not in PRE_ACTIVATION


def needs_admin(status: str) -> bool:
    return status in ADMIN_ONLY_STATUSES


# -- live reads (no transaction is open during a carrier call) -------------------------------------


def _live(located: Located, what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except CarrierError as error:
        # The carrier's refusal or absence is not our bug: logged for the record, shown to staff.
        log.info(
            "SIM console: %s of SIM %s (client %s) failed: %s",
            what,
            located.iccid,
            located.client_id,
            error.message,
        )
        retry_after = error.retry_after if isinstance(error, CarrierRateLimited) else None
        status = 503 if isinstance(error, CarrierUnavailable) else 502
        raise CarrierProblem(error.message, status, retry_after) from None
    except redis.RedisError as error:
        log.error("SIM console: the call pacing store is unreachable: %s", type(error).__name__)
        raise CarrierProblem(
            "the carrier was not asked: Commissioner's call pacing store (Redis) is not reachable; "
            "try again in a moment",
            503,
        ) from None


def overview(located: Located) -> console.Overview:
    """What the carrier says of the SIM now (two carrier calls); CarrierProblem if it cannot say."""
    return _live(located, "overview", lambda: console.overview(located.account, located.iccid))


def usage(located: Located, cycle_start: date | None) -> Usage:
    """The SIM's usage in the cycle starting ``cycle_start`` (None: the current cycle)."""
    return _live(located, "usage", lambda: console.usage(located.account, located.iccid, cycle_start))


def rate_plans(located: Located) -> list[str]:
    """The rate plans the carrier offers the SIM's account."""
    return _live(located, "rate plans", lambda: console.rate_plans(located.account))


def cycle_start(raw: str | None) -> date | None:
    """A cycle start date as staff type it (YYYY-MM-DD; empty: the current cycle)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        if len(text) != len(CYCLE_START_FORMAT):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"the cycle start date must be a date written {CYCLE_START_FORMAT}, not {text[:20]!r}"
        ) from None


# -- requests -------------------------------------------------------------------------------------


def request_status(
    located: Located, status: str, operator: str, *, admin: bool, confirmed: bool = False
) -> Requested:
    """Ask for a status change, after checking the carrier's rules against the SIM's status read live.

    A move the carrier would refuse (back to a pre-activation status, 10000029; the status the SIM
    already has) is not sent: Conflict says why. CarrierProblem if the SIM cannot be read.
    """
    wanted = status_value(status)
    try:
        current = _live(located, "status", lambda: console.device(located.account, located.iccid)).status
    except CarrierProblem as problem:
        raise CarrierProblem(
            f"Not sent: the carrier's rules could not be checked: {problem.message}",
            problem.status,
            problem.retry_after,
        ) from None
    refused = transition_problem(current, wanted)
    if refused:
        raise Conflict(f"Not sent: {refused}.")
    return _queue(
        located, {"action": SET_STATUS, "status": wanted}, operator, admin=admin, confirmed=confirmed
    )


def request_sms(located: Located, text: str, operator: str, *, admin: bool) -> Requested:
    """Ask for an SMS to the SIM; its message id and delivery status come back in the outcome."""
    return _queue(located, {"action": SEND_SMS, "text": text}, operator, admin=admin)


def request_rate_plan(located: Located, plan: str, operator: str, *, admin: bool) -> Requested:
    """Ask for a rate plan change to one of the plans the carrier lists (read live)."""
    wanted = plan.strip()
    if not wanted:
        raise InvalidInput("choose a rate plan")
    offered = rate_plans(located)
    if wanted not in offered:
        raise InvalidInput(
            f"the carrier offers no rate plan {wanted[:60]!r}; it offers: {', '.join(offered)}"
        )
    return _queue(located, {"action": SET_RATE_PLAN, "rate_plan": wanted}, operator, admin=admin)


def _queue(
    located: Located, options: dict[str, str], operator: str, *, admin: bool, confirmed: bool = False
) -> Requested:
    with unit_of_work() as session:
        client = clients.get(session, located.client_id)
        sim = sims.find(session, client, located.iccid)
        execution = sims.request(session, client, sim, options, operator, admin=admin, confirmed=confirmed)
        signal = session.get(Signal, execution.signal_id)
        assert signal is not None  # logged with the execution, in this transaction
        return Requested(execution.id, signal.id, signal.memo, execution.status.value)
