"""A client's history: its signals, with the outcome of the task executions they report."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, TextIO

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from centre import spreadsheet
from centre.errors import UserError
from models import ActionPlan, Client, ExecutionStatus, OperatorLog, Signal, Task, TaskExecution
from pipeline import task_types


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    time: datetime
    type_no: int
    zone: int
    description: str
    action_plan: str | None
    source: str
    memo: str
    operator: str | None
    execution_id: int | None
    outcome: str | None

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "time": self.time.isoformat(),
            "type_no": self.type_no,
            "zone": self.zone,
            "description": self.description,
            "action_plan": self.action_plan,
            "source": self.source,
            "memo": self.memo,
            "operator": self.operator,
        }
        if self.execution_id is not None:
            data["execution_id"] = self.execution_id
        if self.outcome is not None:
            data["outcome"] = self.outcome
        return data


def signals(session: Session, client: Client, *, after_id: int = 0, limit: int = 1000) -> list[HistoryEntry]:
    """The client's signals, oldest first, after signal ``after_id``."""
    rows = session.execute(
        select(Signal, ActionPlan.name)
        .outerjoin(ActionPlan, ActionPlan.id == Signal.action_plan_id)
        .where(Signal.client_id == client.id, Signal.id > after_id)
        .order_by(Signal.id)
        .limit(limit)
    ).all()
    return [
        HistoryEntry(
            id=s.id,
            time=s.received_at,
            type_no=s.type_no,
            zone=s.zone,
            description=s.description,
            action_plan=plan_name,
            source=s.source.value,
            memo=s.memo,
            operator=s.operator,
            execution_id=s.execution_id,
            outcome=s.outcome.value if s.outcome else None,
        )
        for s, plan_name in rows
    ]


def all_signals(session: Session, client: Client, page: int = 1000) -> list[HistoryEntry]:
    """The client's whole history, oldest first, read a page at a time."""
    entries: list[HistoryEntry] = []
    while batch := signals(session, client, after_id=entries[-1].id if entries else 0, limit=page):
        entries.extend(batch)
    return entries


CSV_COLUMNS = (
    "id",
    "time",
    "type_no",
    "zone",
    "description",
    "action_plan",
    "source",
    "memo",
    "operator",
    "execution_id",
    "outcome",
)


def write_csv(entries: Iterable[HistoryEntry], out: TextIO, zone: tzinfo) -> None:
    """A client's history as CSV for a spreadsheet, oldest first, times in the centre's time zone
    (ISO 8601 with the offset); free text can never run as a formula."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.id,
                e.time.astimezone(zone).isoformat(timespec="seconds"),
                e.type_no,
                e.zone,
                spreadsheet.cell(e.description),
                spreadsheet.cell(e.action_plan or ""),
                e.source,
                spreadsheet.cell(e.memo),
                spreadsheet.cell(e.operator or ""),
                e.execution_id or "",
                e.outcome or "",
            ]
        )


def operator_log(session: Session, client: Client, limit: int = 1000) -> list[OperatorLog]:
    """Who changed what on the client, oldest first."""
    return list(
        session.scalars(
            select(OperatorLog)
            .where(OperatorLog.client_id == client.id)
            .order_by(OperatorLog.id)
            .limit(limit)
        )
    )


def recent(session: Session, client: Client, *, after_id: int = 0, limit: int = 200) -> list[HistoryEntry]:
    """The client's newest signals after signal ``after_id``, newest first (for screens)."""
    newest = session.scalars(
        select(Signal.id)
        .where(Signal.client_id == client.id, Signal.id > after_id)
        .order_by(Signal.id.desc())
        .limit(limit)
    ).all()
    if not newest:
        return []
    return list(reversed(signals(session, client, after_id=min(newest) - 1, limit=limit)))


@dataclass(frozen=True)
class ExecutionState:
    """Where a task execution stands, for the history row that reports its outcome."""

    id: int
    status: str
    attempts: int
    last_error: str | None
    error_code: str | None
    later_id: int | None  # a later execution for the same target (a retry or a newer press), if any
    admin_only: bool  # only an admin may retry it (retiring a SIM, changing its rate plan)
    needs_confirmation: bool  # a retry must be confirmed (retiring a SIM)


def execution_states(session: Session, execution_ids: Iterable[int]) -> dict[int, ExecutionState]:
    """The state of each execution in ``execution_ids``, by id."""
    wanted = sorted(set(execution_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(TaskExecution, Task.type)
        .join(Task, Task.id == TaskExecution.task_id)
        .where(TaskExecution.id.in_(wanted))
    ).all()
    return {row.id: _state(session, row, type_name) for row, type_name in rows}


def _rules(type_name: str, options: dict[str, object]) -> tuple[bool, bool]:
    """Whether a retry is for admins only, and whether it must be confirmed, as the task type says."""
    task_type = task_types.find(type_name)
    if task_type is None:
        return False, False
    return _refused(lambda: task_type.authorize(options, admin=False, confirmed=True)), _refused(
        lambda: task_type.authorize(options, admin=True, confirmed=False)
    )


def _refused(check: Callable[[], None]) -> bool:
    try:
        check()
    except UserError:
        return True
    return False


def _state(session: Session, execution: TaskExecution, type_name: str) -> ExecutionState:
    same_target = (
        TaskExecution.target_key == execution.target_key
        if execution.target_key is not None
        else (TaskExecution.signal_id == execution.signal_id) & (TaskExecution.task_id == execution.task_id)
    )
    later = session.scalar(
        select(TaskExecution.id)
        .where(same_target, TaskExecution.id > execution.id)
        .order_by(TaskExecution.id.desc())
        .limit(1)
    )
    admin_only, needs_confirmation = _rules(type_name, execution.options)
    return ExecutionState(
        id=execution.id,
        status=execution.status.value,
        attempts=execution.attempts,
        last_error=execution.last_error,
        error_code=execution.error_code,
        later_id=later,
        admin_only=admin_only,
        needs_confirmation=needs_confirmation,
    )


@dataclass(frozen=True)
class SimLastState:
    """A SIM's last known state: its newest execution's outcome (for the Maintenance view)."""

    iccid: str
    status: str  # succeeded, failed, unconfirmed, pending, running, superseded
    text: str
    at: datetime


def last_on_sims(session: Session, iccids: list[str]) -> dict[str, SimLastState]:
    """The newest execution on each of ``iccids``, by ICCID."""
    if not iccids:
        return {}
    newest = (
        select(func.max(TaskExecution.id))
        .where(TaskExecution.target_key.in_([f"sim:{iccid}" for iccid in iccids]))
        .group_by(TaskExecution.target_key)
    )
    outcome = aliased(Signal)
    rows = session.execute(
        select(TaskExecution, outcome.memo)
        .outerjoin(
            outcome,
            and_(outcome.execution_id == TaskExecution.id, outcome.client_id == TaskExecution.client_id),
        )
        .where(TaskExecution.id.in_(newest))
    ).all()
    return {row.target["iccid"]: _last_state(row, memo) for row, memo in rows if row.target.get("iccid")}


def _last_state(execution: TaskExecution, memo: str | None) -> SimLastState:
    return SimLastState(
        execution.target["iccid"],
        execution.status.value,
        memo or execution.last_error or _IN_FLIGHT.get(execution.status, ""),
        execution.finished_at or execution.created_at,
    )


@dataclass(frozen=True)
class RequestState:
    """A request on a SIM as its asker follows it: what it does, its options, its outcome once in."""

    description: str
    options: dict[str, Any]
    outcome: SimLastState | None  # None while it is waiting or running


def outcome_on_sim(session: Session, execution_id: int, client_id: int, iccid: str) -> RequestState | None:
    """Execution ``execution_id`` on SIM ``iccid`` of client ``client_id``, as its asker follows it;
    None if there is no such execution."""
    found = session.execute(
        select(TaskExecution, Task.type)
        .join(Task, Task.id == TaskExecution.task_id)
        .where(TaskExecution.id == execution_id, TaskExecution.client_id == client_id)
    ).first()
    # By the target's ICCID, not its ordering key: an SMS has none, a rate plan change its own.
    if found is None or found[0].target.get("iccid") != iccid:
        return None
    execution, type_name = found
    description = task_types.get(type_name).describe(execution.options, execution.target)
    if execution.status in _IN_FLIGHT:
        return RequestState(description, execution.options, None)
    memo = session.scalar(
        select(Signal.memo)
        .where(Signal.execution_id == execution.id, Signal.client_id == client_id)
        .order_by(Signal.id.desc())
        .limit(1)
    )
    return RequestState(description, execution.options, _last_state(execution, memo))


_IN_FLIGHT = {
    ExecutionStatus.PENDING: "waiting for a worker",
    ExecutionStatus.RUNNING: "the carrier is being asked",
}
