"""Builders of domain rows for unit tests: small, explicit, and through the services where one exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from centre import clients, communicator_types
from centre.seed import seed
from centre.validation import with_luhn_digit
from models import (
    ActionPlan,
    AddonDevice,
    Base,
    Client,
    CommunicatorType,
    EventType,
    ResponsePlan,
    ResponsePlanEntry,
    Signal,
    Task,
    TaskAssignment,
    TaskExecution,
    User,
)

OPERATOR = "test:operator"
SERVER = "https://cc.example.test/rws/api/v1"
API_USER = "api-user"
API_KEY = "k3y-that-must-never-show"


def iccid(n: int) -> str:
    """A valid 20-digit ICCID (Luhn check digit included), different for each ``n``."""
    return with_luhn_digit(f"8988216716970{n:06d}")


def client(session: Session, code: str, **kwargs: Any) -> Client:
    return clients.add(session, code, f"Client {code}", OPERATOR, **kwargs)


def jasper_type(session: Session, name: str = "Jasper") -> CommunicatorType:
    return communicator_types.add(session, name, SERVER, API_USER, API_KEY, OPERATOR)


def sims(session: Session, owner: Client, *numbers: int, comm: str = "Jasper") -> list[str]:
    """Add one Jasper add-on device per number to ``owner``; returns their ICCIDs."""
    added = [iccid(n) for n in numbers]
    for ref in added:
        clients.add_device(session, owner, comm, ref, OPERATOR)
    return added


def seeded_client(session: Session, code: str = "C1", *numbers: int, **kwargs: Any) -> Client:
    """The Jasper setup (seed and one communicator type) and a client holding SIMs ``numbers``."""
    if session.scalar(select(CommunicatorType.id).where(CommunicatorType.name == "Jasper")) is None:
        seed(session, OPERATOR)
        jasper_type(session)
    found = client(session, code, **kwargs)
    sims(session, found, *numbers)
    return found


def task(
    session: Session,
    task_no: int = 1,
    *,
    type_: str = "jasper",
    enabled: bool = True,
    system_account: Client | None = None,
) -> Task:
    row = Task(
        task_no=task_no,
        type=type_,
        description=f"task {task_no}",
        enabled=enabled,
        system_account_id=system_account.id if system_account else None,
    )
    session.add(row)
    session.flush()
    return row


def response_plan(session: Session, name: str, *assignments: tuple[Task, dict[str, Any]]) -> ResponsePlan:
    """A response plan with one user per assignment (position = order given)."""
    plan = ResponsePlan(name=name)
    session.add(plan)
    session.flush()
    for position, (assigned, options) in enumerate(assignments, start=1):
        user = User(name=f"{name} user {position}")
        session.add(user)
        session.flush()
        entry = ResponsePlanEntry(response_plan_id=plan.id, user_id=user.id, position=position)
        entry.assignments.append(TaskAssignment(task_id=assigned.id, options=options))
        session.add(entry)
    session.flush()
    session.refresh(plan)
    return plan


def action_plan(session: Session, name: str, response: ResponsePlan | None = None) -> ActionPlan:
    plan = ActionPlan(name=name, priority=0, default_response_plan_id=response.id if response else None)
    session.add(plan)
    session.flush()
    return plan


def event_type(
    session: Session, owner: Client, type_no: int, plan: ActionPlan | None, description: str = ""
) -> EventType:
    row = EventType(
        client_id=owner.id,
        type_no=type_no,
        description=description or f"{owner.client_code} type {type_no}",
        action_plan_id=plan.id if plan else None,
    )
    session.add(row)
    session.flush()
    return row


def device_without_ref(session: Session, owner: Client, comm: str = "Jasper") -> AddonDevice:
    """A Jasper add-on device with an empty Device Ref No (as imported data can have)."""
    comm_id = session.scalar(select(CommunicatorType.id).where(CommunicatorType.name == comm))
    assert comm_id is not None
    device = AddonDevice(client_id=owner.id, communicator_type_id=comm_id, device_ref_no=None)
    session.add(device)
    session.flush()
    return device


def executions(session: Session, owner: Client | None = None) -> list[TaskExecution]:
    query = select(TaskExecution).order_by(TaskExecution.id)
    if owner is not None:
        query = query.where(TaskExecution.client_id == owner.id)
    return list(session.scalars(query))


def signals(session: Session, owner: Client, type_no: int | None = None) -> list[Signal]:
    query = select(Signal).where(Signal.client_id == owner.id).order_by(Signal.id)
    if type_no is not None:
        query = query.where(Signal.type_no == type_no)
    return list(session.scalars(query))


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table (not the carriers' pacing slots, which any call moves): proof that a refused
    request wrote nothing."""
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name != "pacing_slot"
    }
