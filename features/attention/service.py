"""What needs a person now, newest first, as one list of plain items.

- ``failed``: an execution that failed, and is still the last word on its target (no retry or newer
  press came after it).
- ``unconfirmed``: a change the carrier accepted but did not show when read back, likewise the last word.
- ``drift``: a SIM whose status at the carrier is not what it should be (features/drift).
- ``silent``: a panel that sent nothing after its commissioning (features/receiver), until it does.
- ``termination``: a decommissioned SIM its communicator type's policy will terminate (irreversibly) on
  a date, unless the client is commissioned again first (features/decommission_policy). Listed so that
  staff can stop a mistake in time; not counted in the navigation bar, as nothing is wrong yet.

An item leaves the list by itself once a retry or a newer press on its target succeeds, or once the
carrier agrees again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from features.decommission_policy import service as policy
from features.drift import judge
from features.receiver import verify
from models import Client, CommunicatorType, ExecutionStatus, Outcome, Signal, TaskExecution, utcnow

KINDS = ("failed", "unconfirmed", "drift", "silent", "termination")
_EXECUTION_KINDS = {ExecutionStatus.FAILED: "failed", ExecutionStatus.UNCONFIRMED: "unconfirmed"}


@dataclass(frozen=True)
class Item:
    """One thing that needs a person, for the page and the JSON API."""

    kind: str
    client_id: int
    client_code: str
    client_name: str
    iccid: str | None
    since: datetime
    message: str
    execution_id: int | None = None  # what Retry retries
    communicator_type_id: int | None = None  # what "reconcile now" reads again
    communicator_type: str | None = None


def items(session: Session, *, kind: str | None = None, text: str = "", limit: int = 500) -> list[Item]:
    """Everything that needs a person now (of one ``kind`` only, or matching ``text`` in the client's
    code or name, the ICCID or the message), newest first."""
    found: list[Item] = []
    if kind in (None, "failed", "unconfirmed"):
        found += _executions(session, kind, limit)
    if kind in (None, "drift"):
        found += _drift(session)
    if kind in (None, "silent"):
        found += _silent(session)
    if kind in (None, "termination"):
        found += _terminations(session)
    wanted = text.strip().lower()
    if wanted:
        found = [item for item in found if wanted in _haystack(item)]
    return sorted(found, key=lambda item: item.since, reverse=True)[:limit]


def count(session: Session) -> int:
    """How many things need a person now (the navigation bar's number)."""
    silent = len(verify.silent_panels(session))
    return len(_executions(session, None, 10_000)) + len(judge.open_drift(session)) + silent


def _haystack(item: Item) -> str:
    return " ".join([item.client_code, item.client_name, item.iccid or "", item.message]).lower()


def _last_word() -> ColumnElement[bool]:
    """The execution is the last on its target: nothing newer on the same SIM (or, for an execution
    without a target, for the same signal and task)."""
    later = aliased(TaskExecution)
    same_target = or_(
        and_(TaskExecution.target_key.is_not(None), later.target_key == TaskExecution.target_key),
        and_(
            TaskExecution.target_key.is_(None),
            later.signal_id == TaskExecution.signal_id,
            later.task_id == TaskExecution.task_id,
        ),
    )
    return ~exists().where(same_target, later.id > TaskExecution.id)


def _executions(session: Session, kind: str | None, limit: int) -> list[Item]:
    statuses = [status for status, name in _EXECUTION_KINDS.items() if kind in (None, name)]
    rows = session.execute(
        select(TaskExecution, Client)
        .join(Client, Client.id == TaskExecution.client_id)
        .where(TaskExecution.status.in_(statuses), _last_word(), Client.retired_at.is_(None))
        .order_by(TaskExecution.id.desc())
        .limit(limit)
    ).all()
    return [
        Item(
            kind=_EXECUTION_KINDS[execution.status],
            client_id=client.id,
            client_code=client.label,
            client_name=client.name,
            iccid=execution.target.get("iccid"),
            since=execution.finished_at or execution.created_at,
            message=execution.last_error or "",
            execution_id=execution.id,
        )
        for execution, client in rows
    ]


def _drift(session: Session) -> list[Item]:
    rows = session.execute(select(CommunicatorType.id, CommunicatorType.name)).all()
    names = {row[0]: row[1] for row in rows}
    return [
        Item(
            kind="drift",
            client_id=client.id,
            client_code=client.label,
            client_name=client.name,
            iccid=drift.iccid,
            since=drift.detected_at,
            message=f"the carrier says {drift.carrier_status}; it should be {drift.expected_status}",
            communicator_type_id=drift.communicator_type_id,
            communicator_type=names.get(drift.communicator_type_id),
        )
        for drift, client in judge.open_drift(session)
    ]


def _silent(session: Session) -> list[Item]:
    return [
        Item(
            kind="silent",
            client_id=panel.client_id,
            client_code=panel.client_code,
            client_name=panel.client_name,
            iccid=None,
            since=panel.commissioned_at,
            message=f"panel (account {panel.account}) silent since its commissioning: see its history",
        )
        for panel in verify.silent_panels(session)
    ]


def _terminations(session: Session) -> list[Item]:
    waiting = policy.pending(session)
    ids = {item.client_id for item in waiting}
    names = {
        row.id: row.name for row in session.execute(select(Client.id, Client.name).where(Client.id.in_(ids)))
    }
    return [
        Item(
            kind="termination",
            client_id=pending.client_id,
            client_code=pending.client_code,
            client_name=names.get(pending.client_id, ""),
            iccid=pending.iccid,
            since=pending.decommissioned_at,
            message=(
                f"{pending.communicator_type} terminates this SIM ({pending.terminal_status}, irreversible) "
                f"from {pending.due_at:%Y-%m-%d %H:%M} UTC; commissioning the client again cancels it"
            ),
        )
        for pending in waiting
    ]


@dataclass(frozen=True)
class Hour:
    """Outcomes in one hour."""

    start: datetime
    succeeded: int
    failed: int
    unconfirmed: int


def outcomes_per_hour(session: Session, hours: int = 24, now: datetime | None = None) -> list[Hour]:
    """Task outcomes in each of the last ``hours`` hours, oldest first (the page's chart)."""
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(hours=hours - 1)
    rows = session.execute(
        select(Signal.received_at, Signal.outcome).where(
            Signal.outcome.is_not(None), Signal.received_at >= first
        )
    ).all()
    counts: dict[tuple[datetime, Outcome | None], int] = {}
    for received, outcome in rows:
        hour = received.replace(minute=0, second=0, microsecond=0)
        counts[(hour, outcome)] = counts.get((hour, outcome), 0) + 1
    return [
        Hour(
            start,
            counts.get((start, Outcome.SUCCEEDED), 0),
            counts.get((start, Outcome.FAILED), 0),
            counts.get((start, Outcome.UNCONFIRMED), 0),
        )
        for start in (first + timedelta(hours=n) for n in range(hours))
    ]
