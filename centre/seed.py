"""The Jasper setup of the Patriot page, created idempotently.

System Events template with 65516/65517 (and the task outcome events), Commission and Decommission
action plans and response plans, the global Jasper user with Activate and Deactivate task assignments,
and the Jasper task. Running it again changes nothing that exists.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import oplog, system_settings
from models import (
    ActionPlan,
    Base,
    Client,
    EventType,
    ResponsePlan,
    ResponsePlanEntry,
    Task,
    TaskAssignment,
    User,
)
from pipeline import system_events

SYSTEM_EVENTS_CODE = "SYSEVENTS"
JASPER_TASK_NO = 1
CONSOLE_TASK_NO = 2
JASPER_USER = "Jasper"

M = TypeVar("M", bound=Base)


def _get_or_add(session: Session, model: type[M], lookup: dict[str, object], **values: object) -> M:
    found = session.scalar(select(model).filter_by(**lookup))
    if found is None:
        found = model(**lookup, **values)
        session.add(found)
        session.flush()
    return found


def seed(session: Session, operator: str) -> None:
    """Create whatever of the Jasper setup is missing."""
    template = _get_or_add(
        session,
        Client,
        {"client_code": SYSTEM_EVENTS_CODE, "area": 1, "port": "1"},
        name="System Events",
        is_template=True,
    )
    task = _get_or_add(
        session,
        Task,
        {"task_no": JASPER_TASK_NO},
        type="jasper",
        description="Jasper: activate/deactivate SIMs",
        system_account_id=template.id,
    )
    _get_or_add(
        session,
        Task,
        {"task_no": CONSOLE_TASK_NO},
        type="sim_console",
        description="Jasper SIM console: status, SMS and rate plan changes",
        system_account_id=template.id,
    )
    user = _get_or_add(session, User, {"name": JASPER_USER}, is_global=True)
    commission = _plan(session, "Commission", 0, task, user, "Activate")
    decommission = _plan(session, "Decommission", 0, task, user, "Deactivate")
    result = _get_or_add(session, ActionPlan, {"name": "Task Result"}, priority=0)
    failure = _get_or_add(session, ActionPlan, {"name": "Task Failure"}, priority=1)
    plans = {
        system_events.CLIENT_COMMISSIONED: commission,
        system_events.CLIENT_DECOMMISSIONED: decommission,
        system_events.TASK_SUCCEEDED: result,
        system_events.TASK_SUPERSEDED: result,
        system_events.TASK_FAILED: failure,
        system_events.TASK_UNCONFIRMED: failure,
        system_events.SIM_CONSOLE_ACTION: result,
        system_events.SIM_DRIFT: failure,
        system_events.RECONCILIATION_SUMMARY: result,
        system_events.RECORD_CORRECTED: result,
        system_events.PANEL_REPORTED: result,
        system_events.PANEL_SILENT: failure,
        system_events.TEST_REPORT_MISSED: failure,
    }
    for type_no, plan in plans.items():
        _get_or_add(
            session,
            EventType,
            {"client_id": template.id, "type_no": type_no},
            description=system_events.DESCRIPTIONS[type_no],
            action_plan_id=plan.id,
        )
    if not system_settings.get(session, system_settings.NEW_CLIENT_TEMPLATE):
        system_settings.set_value(session, system_settings.NEW_CLIENT_TEMPLATE, SYSTEM_EVENTS_CODE, operator)
    oplog.record(session, operator, "seed", "Jasper setup checked")


def _plan(session: Session, name: str, priority: int, task: Task, user: User, command: str) -> ActionPlan:
    response = _get_or_add(session, ResponsePlan, {"name": name})
    entry = _get_or_add(
        session,
        ResponsePlanEntry,
        {"response_plan_id": response.id, "user_id": user.id},
        position=1,
    )
    _get_or_add(
        session,
        TaskAssignment,
        {"entry_id": entry.id, "task_id": task.id},
        options={"command_type": command},
    )
    return _get_or_add(
        session, ActionPlan, {"name": name}, priority=priority, default_response_plan_id=response.id
    )
