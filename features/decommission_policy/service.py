"""Decommissioning that saves money: each communicator type's decommission policy.

Decommissioning always asks each SIM for what stops billing on its platform, the platform's suspended
status (Control Center DEACTIVATED, emnify Suspended, Super SIM inactive). A communicator type may add,
set by an admin with a confirmation, **terminate after N days decommissioned**: the SIMs of a client
still decommissioned N days later are terminated (Control Center RETIRED, emnify Deleted), which cannot
be undone. Until then the termination is pending (``pending``, for the attention page and the command
line) and a re-commission cancels it, as the client is then no longer decommissioned.

A due termination runs as an execution of the SIM console's task (``request`` with the platform's
terminal status, as "decommission policy"): the same leases, retries, ordering on the SIM and history
as any SIM change; a failed one waits for staff (Retry), it is not requested again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import registry
from carriers.platform import SimState
from centre import oplog, sims
from centre.errors import InvalidInput, NotPermitted
from features.sim_console import service as sim_console
from features.sim_console import task_type as console
from models import AddonDevice, Client, CommunicatorType, TaskExecution, utcnow

OPERATOR = "decommission policy"
MAX_DAYS = 3650


@dataclass(frozen=True)
class PendingTermination:
    """A SIM whose termination the policy will ask for at ``due_at``, unless re-commissioned first."""

    client_id: int
    client_code: str
    iccid: str
    communicator_type: str
    terminal_status: str  # the platform's status that ends the SIM's life
    decommissioned_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Effect:
    """What decommissioning does to a SIM on one platform, for staff choosing a policy."""

    platform: str  # the platform's label
    stop_status: str  # what decommission sets: stops billing, undone by a commission
    terminal_status: str | None  # what a termination sets (cannot be undone); None: the API cannot


def effect(kind: str) -> Effect:
    """What decommission, and a termination, set on platform ``kind``."""
    platform = registry.platform(kind)
    return Effect(platform.label, platform.status_for(SimState.SUSPENDED), terminal_status(kind))


def terminal_status(kind: str) -> str | None:
    """The status that ends a SIM's life on platform ``kind``; None where its API cannot (Super SIM)."""
    try:
        return registry.platform(kind).status_for(SimState.TERMINATED)
    except ValueError:
        return None


def set_policy(
    session: Session, comm: CommunicatorType, days: int | None, operator: str, *, admin: bool, confirmed: bool
) -> CommunicatorType:
    """Set (``days``) or clear (None) the communicator type's terminate-after-N-days policy.

    Admins only; setting it must be ``confirmed``, as the terminations it leads to cannot be undone.
    """
    if not admin:
        raise NotPermitted("the decommission policy is for admins: your account is an operator account")
    if days is not None:
        if terminal_status(comm.kind) is None:
            label = registry.platform(comm.kind).label
            raise InvalidInput(f"{label} cannot terminate a SIM: its API does not offer it")
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"terminate after must be from 1 to {MAX_DAYS} days, not {days}")
        if not confirmed:
            raise InvalidInput(
                "terminating a SIM cannot be undone: confirm to have decommissioned SIMs terminated "
                f"{days} days after decommissioning"
            )
    comm.terminate_after_days = days
    session.flush()
    what = f"terminate {days} days after decommissioning" if days else "stop billing only (never terminate)"
    oplog.record(session, operator, "communicator_type.policy", f"{comm.name}: {what}", entity_id=comm.id)
    return comm


def policy_text(comm: CommunicatorType) -> str:
    """The policy in words, for staff."""
    stop = registry.platform(comm.kind).status_for(SimState.SUSPENDED)
    if comm.terminate_after_days is None:
        return f"decommission sets {stop} (stops billing); never terminates"
    terminal = terminal_status(comm.kind)
    return f"decommission sets {stop} (stops billing); {terminal} {comm.terminate_after_days} days later"


def pending(session: Session) -> list[PendingTermination]:
    """Every termination the policies will ask for (due or not), soonest first; none already asked."""
    rows = session.execute(
        select(AddonDevice.device_ref_no, Client, CommunicatorType)
        .join(Client, Client.id == AddonDevice.client_id)
        .join(CommunicatorType, CommunicatorType.id == AddonDevice.communicator_type_id)
        .where(
            CommunicatorType.terminate_after_days.is_not(None),
            AddonDevice.device_ref_no.is_not(None),
            Client.decommissioned_at.is_not(None),
        )
    ).all()
    found = [_pending(iccid, client, comm) for iccid, client, comm in rows if _decommissioned(client)]
    candidates = [item for item in found if item is not None]
    asked = _already_asked(session, candidates)
    waiting = [item for item in candidates if (item.iccid, item.decommissioned_at) not in asked]
    return sorted(waiting, key=lambda item: item.due_at)


def pending_for(session: Session, comm: CommunicatorType) -> list[PendingTermination]:
    """The terminations ``comm``'s policy will ask for, soonest first."""
    return [item for item in pending(session) if item.communicator_type == comm.name]


def run_due(session: Session, now: datetime | None = None) -> list[int]:
    """Ask for every due termination, as executions of the console task; their ids."""
    moment = now or utcnow()
    task_ids: list[int] = []
    for item in pending(session):
        if item.due_at > moment:
            break
        client = session.get(Client, item.client_id)
        found = sims.of_client(session, client) if client is not None else []
        sim = next((candidate for candidate in found if candidate.iccid == item.iccid), None)
        if client is None or sim is None:
            continue
        options = {"action": console.SET_STATUS, "status": item.terminal_status}
        execution = sim_console.request(session, client, sim, options, OPERATOR, admin=True, confirmed=True)
        task_ids.append(execution.id)
    return task_ids


def _decommissioned(client: Client) -> bool:
    return client.decommissioned_at is not None and (
        client.commissioned_at is None or client.decommissioned_at > client.commissioned_at
    )


def _pending(iccid: str | None, client: Client, comm: CommunicatorType) -> PendingTermination | None:
    terminal = terminal_status(comm.kind)
    if not iccid or terminal is None or comm.terminate_after_days is None or client.decommissioned_at is None:
        return None
    return PendingTermination(
        client_id=client.id,
        client_code=client.label,
        iccid=iccid,
        communicator_type=comm.name,
        terminal_status=terminal,
        decommissioned_at=client.decommissioned_at,
        due_at=client.decommissioned_at + timedelta(days=comm.terminate_after_days),
    )


def _already_asked(session: Session, candidates: list[PendingTermination]) -> set[tuple[str, datetime]]:
    """The (ICCID, decommissioned at) whose termination was asked for since that decommission."""
    if not candidates:
        return set()
    keys = {f"sim:{item.iccid}": item for item in candidates}
    executions = session.execute(
        select(TaskExecution.target_key, TaskExecution.options, TaskExecution.created_at).where(
            TaskExecution.target_key.in_(list(keys))
        )
    ).all()
    asked: set[tuple[str, datetime]] = set()
    for key, options, created_at in executions:
        item = keys[str(key)]
        ends = options.get("action") == console.SET_STATUS and options.get("status") == item.terminal_status
        if ends and created_at >= item.decommissioned_at:
            asked.add((item.iccid, item.decommissioned_at))
    return asked
