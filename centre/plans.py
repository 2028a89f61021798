"""Action plans, response plans, their users (entries) and the users' task assignments with options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import oplog, tasks, users, validation
from centre.errors import Conflict, InvalidInput, NotFound
from models import ActionPlan, EventType, ResponseOverride, ResponsePlan, ResponsePlanEntry, TaskAssignment
from pipeline import system_events, task_types

# -- action plans ----------------------------------------------------------------------------------


def action_plans(session: Session) -> list[ActionPlan]:
    """Every action plan, by name."""
    return list(session.scalars(select(ActionPlan).order_by(ActionPlan.name)))


def get_action_plan(session: Session, plan_id: int) -> ActionPlan:
    plan = session.get(ActionPlan, plan_id)
    if plan is None:
        raise NotFound(f"no action plan {plan_id}")
    return plan


def action_plan_by_name(session: Session, name: str) -> ActionPlan:
    plan = session.scalar(select(ActionPlan).where(ActionPlan.name == name.strip()))
    if plan is None:
        raise NotFound(f"no action plan named {name.strip()[:100]!r}")
    return plan


def _response_plan_id(session: Session, name: str) -> int | None:
    return response_plan_by_name(session, name).id if name.strip() else None


def _unique_action_plan_name(session: Session, name: str, plan_id: int | None = None) -> str:
    name = validation.required_text(name, "action plan name", 100)
    found = session.scalar(select(ActionPlan.id).where(ActionPlan.name == name))
    if found is not None and found != plan_id:
        raise Conflict(f"an action plan named {name!r} already exists")
    return name


def add_action_plan(
    session: Session, name: str, priority: int, default_response_plan: str, operator: str
) -> ActionPlan:
    """Create an action plan; priority 0 raises no operator alarm (the fully automated pattern)."""
    plan = ActionPlan(
        name=_unique_action_plan_name(session, name),
        priority=validation.number_in_range(priority, "priority", 0, 255),
        default_response_plan_id=_response_plan_id(session, default_response_plan),
    )
    session.add(plan)
    session.flush()
    oplog.record(session, operator, "action_plan.add", f"{plan.name} (priority {plan.priority})")
    return plan


def update_action_plan(
    session: Session, plan: ActionPlan, operator: str, *, name: str, priority: int, default_response_plan: str
) -> ActionPlan:
    """Rename an action plan, change its priority or its default response plan (empty: none)."""
    plan.name = _unique_action_plan_name(session, name, plan.id)
    plan.priority = validation.number_in_range(priority, "priority", 0, 255)
    plan.default_response_plan_id = _response_plan_id(session, default_response_plan)
    session.flush()
    detail = (
        f"{plan.name} (priority {plan.priority}, default response plan {default_response_plan.strip()!r})"
    )
    oplog.record(session, operator, "action_plan.update", detail, entity_id=plan.id)
    return plan


# -- response plans --------------------------------------------------------------------------------


def response_plans(session: Session) -> list[ResponsePlan]:
    """Every response plan, by name."""
    return list(session.scalars(select(ResponsePlan).order_by(ResponsePlan.name)))


def get_response_plan(session: Session, plan_id: int) -> ResponsePlan:
    plan = session.get(ResponsePlan, plan_id)
    if plan is None:
        raise NotFound(f"no response plan {plan_id}")
    return plan


def response_plan_by_name(session: Session, name: str) -> ResponsePlan:
    plan = session.scalar(select(ResponsePlan).where(ResponsePlan.name == name.strip()))
    if plan is None:
        raise NotFound(f"no response plan named {name.strip()[:100]!r}")
    return plan


def add_response_plan(session: Session, name: str, operator: str) -> ResponsePlan:
    """Create an empty response plan."""
    name = validation.required_text(name, "response plan name", 100)
    if session.scalar(select(ResponsePlan.id).where(ResponsePlan.name == name)) is not None:
        raise Conflict(f"a response plan named {name!r} already exists")
    plan = ResponsePlan(name=name)
    session.add(plan)
    session.flush()
    oplog.record(session, operator, "response_plan.add", name, entity_id=plan.id)
    return plan


def add_entry(
    session: Session, plan: ResponsePlan, user_name: str, position: int, operator: str
) -> ResponsePlanEntry:
    """Add a user to a response plan at ``position`` in the call order."""
    user = users.get_by_name(session, user_name)
    validation.number_in_range(position, "position", 0, 9999)
    if any(entry.user_id == user.id for entry in plan.entries):
        raise Conflict(f"{user.name} is already in response plan {plan.name}")
    entry = ResponsePlanEntry(response_plan_id=plan.id, user_id=user.id, position=position)
    plan.entries.append(entry)
    session.flush()
    oplog.record(session, operator, "response_plan.add_user", f"{plan.name}: {user.name} at {position}")
    return entry


def get_entry(session: Session, entry_id: int) -> ResponsePlanEntry:
    entry = session.get(ResponsePlanEntry, entry_id)
    if entry is None:
        raise NotFound(f"no response plan entry {entry_id}")
    return entry


def remove_entry(session: Session, entry: ResponsePlanEntry, operator: str) -> None:
    """Take a user (and its task assignments) out of a response plan."""
    plan = get_response_plan(session, entry.response_plan_id)
    user = users.get(session, entry.user_id)
    plan.entries.remove(entry)
    session.flush()
    oplog.record(session, operator, "response_plan.remove_user", f"{plan.name}: {user.name}")


# -- task assignments ------------------------------------------------------------------------------


def parse_options(text: str) -> dict[str, str]:
    """Options written one ``Name = Value`` per line (e.g. ``Command Type = Activate``) as a dict."""
    options: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"options line {number} must look like 'Name = Value'")
        options[name.strip()] = value.strip()
    return options


def format_options(options: Mapping[str, Any]) -> str:
    """Options as ``Name = Value`` lines, the way parse_options reads them."""
    return "\n".join(f"{_label(name)} = {value}" for name, value in options.items())


def _label(name: str) -> str:
    return name.replace("_", " ").title() if name.islower() else name


def add_assignment(
    session: Session, entry: ResponsePlanEntry, task_no: int, options: Mapping[str, Any], operator: str
) -> TaskAssignment:
    """Assign a task to a response plan's user, with options its task type validates."""
    task = tasks.get_by_number(session, task_no)
    clean = task_types.get(task.type).validate_options(options)
    assignment = TaskAssignment(entry_id=entry.id, task_id=task.id, options=clean)
    entry.assignments.append(assignment)
    session.flush()
    oplog.record(
        session,
        operator,
        "task_assignment.add",
        f"entry {entry.id}: task {task_no} {clean}",
        entity_id=assignment.id,
    )
    return assignment


def get_assignment(session: Session, assignment_id: int) -> TaskAssignment:
    assignment = session.get(TaskAssignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no task assignment {assignment_id}")
    return assignment


def update_assignment(
    session: Session, assignment: TaskAssignment, options: Mapping[str, Any], operator: str
) -> TaskAssignment:
    """Change a task assignment's options (validated by its task type)."""
    task = tasks.get(session, assignment.task_id)
    assignment.options = task_types.get(task.type).validate_options(options)
    session.flush()
    oplog.record(
        session,
        operator,
        "task_assignment.update",
        f"task {task.task_no} {assignment.options}",
        entity_id=assignment.id,
    )
    return assignment


def remove_assignment(session: Session, assignment: TaskAssignment, operator: str) -> None:
    """Remove a task assignment: the user no longer fires that task."""
    entry = get_entry(session, assignment.entry_id)
    entry.assignments.remove(assignment)
    session.flush()
    oplog.record(session, operator, "task_assignment.remove", f"entry {entry.id}", entity_id=assignment.id)


_COMMANDS = {system_events.CLIENT_COMMISSIONED: "Activate", system_events.CLIENT_DECOMMISSIONED: "Deactivate"}


def purpose_command(session: Session, plan: ResponsePlan) -> str | None:
    """The Jasper command a task on ``plan`` is for, judged by the events that reach the plan (65516
    Client Commissioned: Activate; 65517 Client Decommissioned: Deactivate), else by its name; None
    when neither tells (both, or other events)."""
    reaching = select(ActionPlan.id).where(ActionPlan.default_response_plan_id == plan.id)
    overriding = select(ResponseOverride.action_plan_id).where(ResponseOverride.response_plan_id == plan.id)
    numbers = set(
        session.scalars(
            select(EventType.type_no).where(
                EventType.action_plan_id.in_(reaching) | EventType.action_plan_id.in_(overriding)
            )
        )
    )
    commands = {_COMMANDS[n] for n in numbers if n in _COMMANDS}
    if len(commands) == 1:
        return commands.pop()
    if commands:
        return None
    name = plan.name.lower()
    if "decommission" in name:
        return "Deactivate"
    return "Activate" if "commission" in name else None
