"""Drift reconciliation: does the carrier still agree with us about each SIM?

What we believe a SIM should be: the status asked for by the newest status change on it (a
commission, a decommission, a console change), whatever its outcome; with none, the platform's active
status for a commissioned client and its suspended one for a decommissioned one. A SIM with a change
still in flight is not judged. The carrier's side comes from its listing of SIMs changed since the last
run, so a run costs calls in proportion to what changed, not to the fleet (read in ``read.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import registry
from carriers.platform import Platform, SimState
from centre.seed import JASPER_TASK_NO
from features.commissioning import task_type as commissioning
from features.sim_console import task_type as sim_console
from models import (
    ACTIVE_STATUSES,
    AddonDevice,
    Client,
    CommunicatorType,
    ExecutionStatus,
    ReconcileCursor,
    SignalSource,
    SimDrift,
    Task,
    TaskExecution,
    utcnow,
)
from pipeline import signals, system_events


@dataclass(frozen=True)
class CarrierSim:
    iccid: str
    status: str


@dataclass
class RunSummary:
    communicator_type: str
    since: datetime
    seen: int = 0
    ours: int = 0
    drifted: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    def text(self) -> str:
        return (
            f"{self.communicator_type}: {self.seen} SIMs changed at the carrier since "
            f"{self.since:%Y-%m-%d %H:%M:%S} UTC, {self.ours} of ours, {len(self.drifted)} drifted, "
            f"{len(self.resolved)} back in line"
        )


def cursor(session: Session, comm: CommunicatorType, default: datetime) -> datetime:
    """Where the last run of this account stopped reading, or ``default`` on the first run."""
    found = session.get(ReconcileCursor, comm.id)
    return found.checked_until if found else default


def advance(session: Session, comm: CommunicatorType, until: datetime) -> None:
    found = session.get(ReconcileCursor, comm.id)
    if found is None:
        session.add(ReconcileCursor(communicator_type_id=comm.id, checked_until=until))
    else:
        found.checked_until = until
    session.flush()


def expected_status(
    session: Session, client: Client, iccid: str, platform: Platform | None = None
) -> str | None:
    """What the SIM should be now, or None while a change is in flight or nothing was ever asked.

    In ``platform``'s statuses (default: the platform of the SIM's communicator type)."""
    recent = session.execute(
        select(TaskExecution, Task.type)
        .join(Task, Task.id == TaskExecution.task_id)
        .where(TaskExecution.target_key == f"sim:{iccid}")
        .order_by(TaskExecution.id.desc())
        .limit(20)
    ).all()
    for execution, task_type in recent:
        if execution.status in ACTIVE_STATUSES:
            return None
        if task_type == sim_console.NAME and execution.status not in _APPLIED:
            continue  # a console change the carrier refused is not what we believe
        platform = platform or _platform_of(session, iccid)
        asked = _asked_status(task_type, execution.options, platform)
        if asked is not None:
            return asked
    if client.commissioned_at and (
        client.decommissioned_at is None or client.commissioned_at > client.decommissioned_at
    ):
        return (platform or _platform_of(session, iccid)).status_for(SimState.ACTIVE)
    if client.decommissioned_at:
        return (platform or _platform_of(session, iccid)).status_for(SimState.SUSPENDED)
    return None


def _platform_of(session: Session, iccid: str) -> Platform:
    kind = session.scalar(
        select(CommunicatorType.kind)
        .join(AddonDevice, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(AddonDevice.device_ref_no == iccid)
        .limit(1)
    )
    assert kind is not None  # only our SIMs are judged
    return registry.platform(kind)


_APPLIED = (ExecutionStatus.SUCCEEDED, ExecutionStatus.UNCONFIRMED)


def _asked_status(task_type: str, options: dict[str, object], platform: Platform) -> str | None:
    if task_type == commissioning.NAME:
        return platform.status_for(commissioning.wanted_state(options))
    if task_type == sim_console.NAME and options.get("action") == sim_console.SET_STATUS:
        return str(options["status"])
    return None


def apply(
    session: Session, comm: CommunicatorType, since: datetime, seen: Iterable[CarrierSim], operator: str
) -> RunSummary:
    """Compare what the carrier reported with what we expect; log drift and resolutions."""
    summary = RunSummary(comm.name, since)
    carrier = {sim.iccid: sim.status for sim in seen}
    summary.seen = len(carrier)
    ours = session.execute(
        select(AddonDevice.device_ref_no, Client)
        .join(Client, Client.id == AddonDevice.client_id)
        .where(AddonDevice.communicator_type_id == comm.id, AddonDevice.device_ref_no.in_(list(carrier)))
    ).all()
    summary.ours = len(ours)
    for iccid, client in ours:
        assert iccid is not None
        _judge(session, comm, client, iccid, carrier[iccid], summary)
    if summary.drifted or summary.resolved:
        _log_summary(session, summary)
    return summary


def _judge(
    session: Session, comm: CommunicatorType, client: Client, iccid: str, status: str, summary: RunSummary
) -> None:
    platform = registry.platform(comm.kind)
    wanted = expected_status(session, client, iccid, platform)
    open_drift = session.scalar(
        select(SimDrift).where(SimDrift.iccid == iccid, SimDrift.resolved_at.is_(None))
    )
    if wanted is None or status in platform.transitional:
        return  # nothing expected, or a change still under way at the carrier
    if status == wanted or (wanted, status) in platform.automatic_moves:
        if open_drift is not None:
            open_drift.resolved_at = utcnow()
            summary.resolved.append(iccid)
        return
    if open_drift is not None and (open_drift.carrier_status, open_drift.expected_status) == (status, wanted):
        return  # already reported, nothing new
    if open_drift is not None:
        open_drift.resolved_at = utcnow()
    session.add(
        SimDrift(
            iccid=iccid,
            client_id=client.id,
            communicator_type_id=comm.id,
            expected_status=wanted,
            carrier_status=status,
        )
    )
    summary.drifted.append(iccid)
    signals.log_signal(
        session,
        client,
        system_events.SIM_DRIFT,
        source=SignalSource.AUTO,
        memo=f"SIM {iccid}: the carrier says {status}, expected {wanted}",
    )


def _log_summary(session: Session, summary: RunSummary) -> None:
    task = session.scalar(select(Task).where(Task.task_no == JASPER_TASK_NO))
    if task is None or task.system_account_id is None:
        return
    account = session.get(Client, task.system_account_id)
    assert account is not None
    signals.log_signal(
        session, account, system_events.RECONCILIATION_SUMMARY, source=SignalSource.AUTO, memo=summary.text()
    )


def open_drift(session: Session) -> list[tuple[SimDrift, Client]]:
    """Every SIM currently out of line, oldest first."""
    rows = session.execute(
        select(SimDrift, Client)
        .join(Client, Client.id == SimDrift.client_id)
        .where(SimDrift.resolved_at.is_(None))
        .order_by(SimDrift.detected_at, SimDrift.id)
    ).all()
    return [(drift, client) for drift, client in rows]
