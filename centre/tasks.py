"""Tasks: the configured background tasks (task number, type, description, system account)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, oplog, validation
from centre.clients import ClientRef
from centre.errors import Conflict, NotFound
from models import Client, Task
from pipeline import task_types


def list_all(session: Session) -> list[Task]:
    """Every task, by task number."""
    return list(session.scalars(select(Task).order_by(Task.task_no)))


def get(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def get_by_number(session: Session, task_no: int) -> Task:
    task = session.scalar(select(Task).where(Task.task_no == task_no))
    if task is None:
        raise NotFound(f"no task number {task_no}")
    return task


def _system_account(session: Session, code: str) -> Client | None:
    """The account task-level errors are logged against, by client code; None for an empty code."""
    return clients.find(session, ClientRef(code.strip())) if code.strip() else None


def add(
    session: Session,
    task_no: int,
    type_name: str,
    description: str,
    operator: str,
    *,
    system_account_code: str = "",
    enabled: bool = True,
) -> Task:
    """Create a task of a known type (``jasper`` ...)."""
    validation.number_in_range(task_no, "task number", 1, 2_147_483_647)
    if session.scalar(select(Task.id).where(Task.task_no == task_no)) is not None:
        raise Conflict(f"task number {task_no} already exists")
    account = _system_account(session, system_account_code)
    task = Task(
        task_no=task_no,
        type=task_types.get(type_name.strip()).name,
        description=validation.required_text(description, "description", 200),
        system_account_id=account.id if account else None,
        enabled=enabled,
    )
    session.add(task)
    session.flush()
    oplog.record(session, operator, "task.add", f"task {task_no} ({task.type}): {task.description}")
    return task


def update(
    session: Session,
    task: Task,
    operator: str,
    *,
    description: str,
    enabled: bool,
    system_account_code: str = "",
) -> Task:
    """Change a task's description, system account or enabled flag (a disabled task fires nothing)."""
    account = _system_account(session, system_account_code)
    task.description = validation.required_text(description, "description", 200)
    task.system_account_id = account.id if account else None
    task.enabled = enabled
    session.flush()
    state = "enabled" if enabled else "disabled"
    oplog.record(session, operator, "task.update", f"task {task.task_no}: {task.description} ({state})")
    return task


def system_account_code(session: Session, task: Task) -> str:
    """The client code of the task's system account, or an empty string."""
    if task.system_account_id is None:
        return ""
    account = session.get(Client, task.system_account_id)
    return account.client_code if account else ""
