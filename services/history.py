"""A client's history: its signals, with the outcome of the task executions they report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ActionPlan, Client, OperatorLog, Signal


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
