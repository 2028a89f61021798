"""The SIM swap: a panel's SIM is replaced by a new one, on any carrier platform. Written once for every
edge (the command line, the JSON API).

The order keeps the panel reachable whatever fails:

1. the new SIM is switched on (the platform's ACTIVE status) and confirmed by reading it back;
2. then the old SIM is switched off (SUSPENDED) and confirmed;
3. then the add-on device's Device Ref No becomes the new ICCID (``centre.corrections.edit_device``).

A failure at 1 leaves the device on the old SIM, which still works; a failure at 2 still moves the device
to the new SIM, the one that works, and says that the old one is still on. Both SIMs are read again at the
end, so the outcome names the state each is in. Where the platform offers a one-call exchange
(Control Center SOAP's ``SimRmaExchange``) and the account allows it, that is tried first; a refusal falls
back to the steps. The outcome goes into the client's history (a 65522 entry with who asked) and the
operator log, and the device change into it as a record correction (65532).

Carrier calls are made with no transaction open: planning, carrying out and recording are three units
of work.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import pool, registry
from carriers.accounts import CarrierAccount, load_account
from carriers.errors import CarrierError, CarrierRejected
from carriers.platform import Carrier, Platform, SimState
from centre import clients, corrections, oplog, sims, validation
from centre.clients import ClientRef
from centre.errors import Conflict, InvalidInput, NotFound
from config import secrets
from models import ACTIVE_STATUSES, SignalSource, TaskExecution
from models.db import unit_of_work
from pipeline import signals, system_events

log = logging.getLogger("commissioner.sim_swap")

CONFIRM_TIMEOUT_S = 20.0
CONFIRM_INTERVAL_S = 0.5


@dataclass(frozen=True)
class SwapPlan:
    """A checked swap: which device, which SIMs, and the account to ask (read in a closed transaction)."""

    client_id: int
    client_label: str
    device_owner_id: int  # the client the device is on: the client itself, or its base account
    device_id: int
    old_iccid: str
    new_iccid: str
    account: CarrierAccount

    @property
    def platform(self) -> Platform:
        return registry.platform(self.account.kind)


@dataclass
class SwapOutcome:
    """What happened: whether the swap is done, where the device points, and each SIM's status."""

    done: bool
    device_iccid: str
    old_status: str | None = None
    new_status: str | None = None
    steps: list[str] = field(default_factory=list)  # what was done, in order, for staff

    @property
    def message(self) -> str:
        state = "done" if self.done else "not done"
        return f"SIM swap {state}: " + "; ".join(self.steps)


def swap(ref: ClientRef, old_iccid: str, new_iccid: str, operator: str) -> SwapOutcome:
    """Replace the client's SIM ``old_iccid`` by ``new_iccid`` (the use case every edge calls)."""
    with unit_of_work() as session:
        plan = make_plan(session, ref, old_iccid, new_iccid)
    outcome = carry_out(plan)
    with unit_of_work() as session:
        record(session, plan, outcome, operator)
    return outcome


def make_plan(session: Session, ref: ClientRef, old_iccid: str, new_iccid: str) -> SwapPlan:
    """Check the swap before any carrier call: the client, its SIM, the new ICCID, nothing in flight."""
    client = corrections.find_active(session, ref)
    clients.writable(client)
    sim = sims.find(session, client, validation.iccid(old_iccid))
    new = validation.iccid(new_iccid)
    if new == sim.iccid:
        raise InvalidInput(f"the new SIM is the old one ({new})")
    if not clients.is_commissioned(client):
        raise Conflict(
            f"{client.label} is not commissioned: its SIM is off, so there is nothing to swap; change the "
            "device's Device Ref No instead"
        )
    for iccid in (sim.iccid, new):
        busy = session.scalar(
            select(TaskExecution.id)
            .where(TaskExecution.target_key == f"sim:{iccid}", TaskExecution.status.in_(ACTIVE_STATUSES))
            .limit(1)
        )
        if busy is not None:
            raise Conflict(f"a change on SIM {iccid} is in flight (execution {busy}): wait for its outcome")
    try:
        account = load_account(session, sim.communicator_type_id)
    except secrets.SecretUnreadable as exc:
        raise InvalidInput(str(exc)) from None
    if account is None:
        raise NotFound("the SIM's communicator type no longer exists")
    return SwapPlan(
        client.id, client.label, sim.owner_client_id, sim.addon_device_id, sim.iccid, new, account
    )


def carry_out(plan: SwapPlan, confirm_timeout_s: float = CONFIRM_TIMEOUT_S) -> SwapOutcome:
    """Make the carrier calls, in the order that keeps the panel reachable; never raises a CarrierError."""
    carrier = pool.carrier(plan.account)
    outcome = SwapOutcome(False, plan.old_iccid)
    if _exchanged(carrier, plan, outcome):
        outcome.done, outcome.device_iccid = True, plan.new_iccid
    else:
        _in_steps(carrier, plan, outcome, confirm_timeout_s)
    outcome.old_status = _status(carrier, plan.old_iccid)
    outcome.new_status = _status(carrier, plan.new_iccid)
    outcome.steps.append(
        f"now {plan.old_iccid} is {outcome.old_status or 'unreadable'} and "
        f"{plan.new_iccid} is {outcome.new_status or 'unreadable'}"
    )
    return outcome


def _exchanged(carrier: Carrier, plan: SwapPlan, outcome: SwapOutcome) -> bool:
    exchange = getattr(carrier, "sim_rma_exchange", None)
    if exchange is None:
        return False
    try:
        rma = exchange(plan.old_iccid, plan.new_iccid)
    except CarrierRejected as exc:
        outcome.steps.append(f"the carrier's SIM exchange was refused ({exc.error_code or 'no code'})")
        return False
    except CarrierError as exc:
        outcome.steps.append(f"the carrier's SIM exchange failed: {exc.message}")
        return False
    outcome.steps.append(
        f"the carrier exchanged {plan.old_iccid} for {plan.new_iccid} (RMA {rma or 'no id'})"
    )
    return True


def _in_steps(carrier: Carrier, plan: SwapPlan, outcome: SwapOutcome, confirm_timeout_s: float) -> None:
    on, off = plan.platform.status_for(SimState.ACTIVE), plan.platform.status_for(SimState.SUSPENDED)
    problem = _switch(carrier, plan.new_iccid, on, confirm_timeout_s)
    if problem is not None:
        outcome.steps.append(f"the new SIM {plan.new_iccid} was not switched on: {problem}")
        outcome.steps.append(f"the device stays on {plan.old_iccid}, which was not touched")
        return
    outcome.steps.append(f"the new SIM {plan.new_iccid} is {on}, confirmed")
    outcome.device_iccid = plan.new_iccid
    problem = _switch(carrier, plan.old_iccid, off, confirm_timeout_s)
    if problem is not None:
        outcome.steps.append(f"the old SIM {plan.old_iccid} was not switched off: {problem}; switch it off")
        return
    outcome.steps.append(f"the old SIM {plan.old_iccid} is {off}, confirmed")
    outcome.done = True


def _switch(carrier: Carrier, iccid: str, wanted: str, confirm_timeout_s: float) -> str | None:
    """Move the SIM to ``wanted`` and read it back until it shows it; why not, or None."""
    try:
        if carrier.get_sim(iccid).status != wanted:
            carrier.set_status(iccid, wanted)
        deadline = time.monotonic() + confirm_timeout_s
        while (seen := carrier.get_sim(iccid).status) != wanted:
            if time.monotonic() > deadline:
                return f"the carrier still shows it {seen}"
            time.sleep(CONFIRM_INTERVAL_S)  # polling the carrier with a deadline, as its read-back does
    except CarrierError as exc:
        log.info(
            "SIM swap: %s for ICCID %s failed: %s %s", wanted, iccid, type(exc).__name__, exc.error_code or ""
        )
        # Its message is whole sentences; the outcome goes on after it with "; ".
        return exc.message.rstrip(". ")
    return None


def _status(carrier: Carrier, iccid: str) -> str | None:
    try:
        return carrier.get_sim(iccid).status
    except CarrierError:
        return None


def record(session: Session, plan: SwapPlan, outcome: SwapOutcome, operator: str) -> None:
    """Point the device at the SIM that works, and put the outcome in the client's history."""
    client = clients.get(session, plan.client_id)
    if outcome.device_iccid != plan.old_iccid:
        owner = clients.get(session, plan.device_owner_id)
        corrections.edit_device(session, owner, plan.device_id, operator, device_ref_no=outcome.device_iccid)
    memo = validation.clipped(f"{plan.old_iccid} → {plan.new_iccid}: {outcome.message}")
    signals.log_signal(
        session,
        client,
        system_events.SIM_CONSOLE_ACTION,
        source=SignalSource.MANUAL,
        operator=operator,
        memo=memo,
    )
    oplog.record(session, operator, "sim.swap", memo, client_id=client.id)
