"""The SIM console's use cases, written once for every edge (CLI, pages, JSON API): find a client's SIM
and its carrier account, read it live, check the carrier's rules and the asker's role, queue the
request, retry one.

Reads are made where staff ask, through the same paced connection as the tasks (``carriers.pool``),
with no transaction open during the call; their failures become one ``CarrierProblem`` fit to show.
Changes are logged on the client (65522, with who asked) and carried out by the workers as executions
of the seeded console task, with the same leases, retries and ordering as commissioning. What the SIM's
platform cannot do is refused with a plain message, never faked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import pool, registry
from carriers.accounts import CarrierAccount, load_account
from carriers.errors import CarrierError, CarrierRateLimited, CarrierUnavailable
from carriers.platform import Capability, Platform, SimDetails, SimState, Usage, UsageInDetails
from centre import clients, oplog, sims
from centre.errors import Conflict, InvalidInput, NotFound
from config import secrets
from features.sim_console import task_type
from features.sim_console.task_type import SEND_SMS, SET_RATE_PLAN, SET_STATUS, SimConsoleTaskType
from models import Client, Signal, SignalSource, Task, TaskExecution, utcnow
from models.db import unit_of_work
from pipeline import executions, signals, system_events
from pipeline.outbox import message_for, publish_after_commit
from pipeline.task_types import Target

log = logging.getLogger("commissioner.sim_console")
T = TypeVar("T")

CYCLE_START_FORMAT = "YYYY-MM-DD"


class CarrierProblem(Exception):
    """A live read did not succeed. ``message`` is fit for staff and never carries a secret (the carrier
    layer's messages never do); ``status`` is the HTTP status the JSON API answers with."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Located:
    """A client's SIM and the carrier account to ask about it, read in a transaction already closed."""

    client_id: int
    iccid: str
    account: CarrierAccount

    @property
    def platform(self) -> Platform:
        return registry.platform(self.account.kind)


@dataclass(frozen=True)
class Overview:
    """What the carrier says of one SIM, and when it said it."""

    device: SimDetails
    overage_limit_reached: bool | None
    overage_limit_override: str | None
    read_at: datetime


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


@dataclass(frozen=True)
class Retried:
    """The execution a retry created, and its client."""

    execution_id: int
    client_id: int


def locate(pick_client: Callable[[Session], Client], iccid: str | None) -> Located:
    """The SIM ``iccid`` (None: the only one) of the client ``pick_client`` finds; NotFound if it is not
    one of its SIMs."""
    with unit_of_work() as session:
        client = pick_client(session)
        sim = sims.find(session, client, iccid)
        return Located(client.id, sim.iccid, _account(session, sim.communicator_type_id))


def _account(session: Session, communicator_type_id: int) -> CarrierAccount:
    try:
        account = load_account(session, communicator_type_id)
    except secrets.SecretUnreadable as exc:
        raise InvalidInput(f"{exc}; enter the API key again") from None
    if account is None:
        raise NotFound("the SIM's communicator type no longer exists")
    return account


# -- the carrier's rules, as staff read them --------------------------------------------------------


def status_label(status: str) -> str:
    """How staff read a carrier status (shown as the platform names it, in words)."""
    return status.replace("_", " ").title()


def status_choices(platform: Platform, current: str | None) -> list[StatusChoice]:
    """Every status staff may ask for on the SIM's platform, with its rules applied to the SIM's
    ``current`` one (None when it could not be read: the request is checked when sent)."""
    return [
        StatusChoice(
            status,
            status_label(status),
            platform.transition_problem(current, status) if current is not None else None,
            task_type.admin_only({"action": SET_STATUS, "status": status}),
            task_type.needs_confirmation({"action": SET_STATUS, "status": status}),
        )
        for status in platform.statuses
    ]


def activated_before(platform: Platform, current: str | None) -> bool:
    """Whether the SIM has left its pre-activation states (Control Center refuses a way back)."""
    return current is not None and platform.state_of(current) not in (SimState.INVENTORY, SimState.READY)


def needs_admin(status: str) -> bool:
    return task_type.admin_only({"action": SET_STATUS, "status": status})


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


def terminal_status(located: Located) -> str:
    """The platform's status that ends a SIM's life; InvalidInput where its API cannot (Super SIM)."""
    try:
        return located.platform.status_for(SimState.TERMINATED)
    except ValueError:
        raise InvalidInput(
            f"{located.platform.label} cannot retire a SIM: its API does not offer it"
        ) from None


def _able(located: Located, capability: Capability, what: str) -> None:
    if capability not in located.platform.capabilities:
        raise InvalidInput(f"{located.platform.label} cannot {what}: its API does not offer it")


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


def device(located: Located) -> SimDetails:
    """The SIM's status, plans and dates as the carrier has them now (one carrier call)."""
    return _live(located, "status", lambda: pool.carrier(located.account).get_sim(located.iccid))


def overview(located: Located) -> Overview:
    """Status, plans and dates of the SIM, with its overage state where the platform reports usage."""

    def read() -> Overview:
        carrier = pool.carrier(located.account)
        details = carrier.get_sim(located.iccid)
        if Capability.USAGE not in located.platform.capabilities:
            return Overview(details, None, None, utcnow())
        # Where the details already carry the usage (SOAP), a second read would cost a paced call.
        if isinstance(carrier, UsageInDetails):
            used = carrier.usage_in(details)
        else:
            used = carrier.get_usage(located.iccid)
        return Overview(details, used.overage_limit_reached, used.overage_limit_override, utcnow())

    return _live(located, "overview", read)


def usage(located: Located, cycle_start: date | None) -> Usage:
    """The SIM's usage in the cycle starting ``cycle_start`` (None: the current cycle)."""
    _able(located, Capability.USAGE, "report a SIM's usage")
    return _live(
        located, "usage", lambda: pool.carrier(located.account).get_usage(located.iccid, cycle_start)
    )


USAGE_CYCLES = 3


def usage_over_cycles(located: Located, today: date | None = None) -> list[tuple[date | None, Usage]]:
    """The SIM's usage in the current cycle and the ones before it (monthly cycles taken to start on
    the 1st), oldest first: one paced carrier read a cycle."""
    first = (today or utcnow().date()).replace(day=1)
    starts: list[date | None] = [_months_before(first, n) for n in range(USAGE_CYCLES - 1, 0, -1)]
    return [(start, usage(located, start)) for start in [*starts, None]]


def _months_before(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def rate_plans(located: Located) -> list[str]:
    """The rate plans the carrier offers the SIM's account."""
    _able(located, Capability.RATE_PLANS, "list or change rate plans")
    return _live(located, "rate plans", lambda: pool.carrier(located.account).list_rate_plans())


# -- requests ------------------------------------------------------------------------------------


def request_status(
    located: Located, status: str, operator: str, *, admin: bool, confirmed: bool = False
) -> Requested:
    """Ask for a status change, after checking the carrier's rules against the SIM's status read live.

    A move the carrier would refuse (back to a pre-activation status, 10000029; the status the SIM
    already has) is not sent: Conflict says why. CarrierProblem if the SIM cannot be read.
    """
    wanted = task_type.status_value(status, located.platform)
    if wanted not in located.platform.statuses:
        raise InvalidInput(f"{located.platform.label} has no SIM status {wanted}")
    task_type.SimConsoleTaskType().authorize(
        {"action": SET_STATUS, "status": wanted}, admin=admin, confirmed=confirmed
    )
    _check_rules(located, wanted, "Not sent")
    return _queue(
        located, {"action": SET_STATUS, "status": wanted}, operator, admin=admin, confirmed=confirmed
    )


def _check_rules(located: Located, wanted: str, refusal: str) -> None:
    try:
        current = device(located).status
    except CarrierProblem as problem:
        raise CarrierProblem(
            f"{refusal}: the carrier's rules could not be checked: {problem.message}",
            problem.status,
            problem.retry_after,
        ) from None
    refused = located.platform.transition_problem(current, wanted)
    if refused:
        raise Conflict(f"{refusal}: {refused}.")


def request_sms(located: Located, text: str, operator: str, *, admin: bool) -> Requested:
    """Ask for an SMS to the SIM; its message id and delivery status come back in the outcome."""
    _able(located, Capability.SMS, "send an SMS to a SIM")
    return _queue(located, {"action": SEND_SMS, "text": text}, operator, admin=admin)


def request_rate_plan(located: Located, plan: str, operator: str, *, admin: bool) -> Requested:
    """Ask for a rate plan change to one of the plans the carrier lists (read live)."""
    wanted = plan.strip()
    if not wanted:
        raise InvalidInput("choose a rate plan")
    task_type.SimConsoleTaskType().authorize(
        {"action": SET_RATE_PLAN, "rate_plan": wanted}, admin=admin, confirmed=False
    )
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
        execution = request(session, client, sim, options, operator, admin=admin, confirmed=confirmed)
        signal = session.get(Signal, execution.signal_id)
        assert signal is not None  # logged with the execution, in this transaction
        return Requested(execution.id, signal.id, signal.memo, execution.status.value)


def console_task(session: Session) -> Task:
    task = session.scalar(select(Task).where(Task.type == task_type.NAME).order_by(Task.task_no))
    if task is None:
        raise NotFound("there is no SIM console task: run `commissioner seed`")
    return task


def request(
    session: Session,
    client: Client,
    sim: sims.Sim,
    options: dict[str, Any],
    operator: str,
    *,
    admin: bool,
    confirmed: bool = False,
) -> TaskExecution:
    """Log the request on the client's history and queue it as an execution of the console task, in
    the caller's transaction (no carrier rule is read here: ``request_status`` reads them first).

    Retiring a SIM and changing its rate plan are for an ``admin``; retiring must be ``confirmed``:
    carriers treat it as the end of the SIM's life.
    """
    console = SimConsoleTaskType()
    clean = console.validate_options(options)
    console.authorize(clean, admin=admin, confirmed=confirmed)
    task = console_task(session)
    target_data = {"iccid": sim.iccid, "communicator_type_id": sim.communicator_type_id}
    target = task_type.target_for(clean, Target(f"sim:{sim.iccid}", target_data))
    label = console.describe(clean, target.data)
    signal = signals.log_signal(
        session,
        client,
        system_events.SIM_CONSOLE_ACTION,
        source=SignalSource.MANUAL,
        operator=operator,
        memo=label,
    )
    execution = signals.add_execution(session, client, signal, task.id, None, clean, target)
    session.flush()
    oplog.record(session, operator, "sim.request", label, client_id=client.id, entity_id=execution.id)
    publish_after_commit(session, [message_for(execution, task.type)])
    return execution


# -- retry ---------------------------------------------------------------------------------------


def retry(execution_id: int, operator: str, *, admin: bool, confirmed: bool = False) -> Retried:
    """Retry a finished execution as ``operator``; returns the new execution.

    Checked exactly as the first request was: who may ask for it (retiring a SIM and changing its rate
    plan are for admins), its confirmation (retiring), and, for a status change, the carrier's rules
    against the SIM's status read live now (no transaction is open during the read). Raises the
    services' user errors, or CarrierProblem when the SIM cannot be read.
    """
    with unit_of_work() as session:
        found = executions.retryable(session, execution_id, admin=admin, confirmed=confirmed)
        located = None
        if found.status_to_check:
            account = _account(session, found.target["communicator_type_id"])
            located = Located(found.client_id, found.target["iccid"], account)
    if located is not None and found.status_to_check:
        _check_rules(located, found.status_to_check, "Not retried")
    with unit_of_work() as session:
        new = executions.retry(
            session, execution_id, operator, admin=admin, confirmed=confirmed, checked_live=True
        )
        return Retried(new.id, new.client_id)
