"""The Jasper setup of the Patriot page, created once and left alone after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, system_settings
from centre.seed import CONSOLE_TASK_NO, JASPER_TASK_NO, SYSTEM_EVENTS_CODE, seed
from models import ActionPlan, Client, EventType, ResponsePlan, Task, User
from models.db import unit_of_work
from pipeline import system_events
from pipeline.outbox import Message
from tests import factories as f


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


def _plan_assignments(session: Session, name: str) -> list[tuple[str, int, dict[str, object]]]:
    plan = session.scalar(select(ActionPlan).where(ActionPlan.name == name))
    assert plan is not None
    assert plan.priority == 0  # fully automated: no operator alarm
    response = session.get(ResponsePlan, plan.default_response_plan_id)
    assert response is not None
    found = []
    for entry in response.entries:
        user = session.get(User, entry.user_id)
        assert user is not None
        for assignment in entry.assignments:
            task = session.get(Task, assignment.task_id)
            assert task is not None
            found.append((user.name, task.task_no, assignment.options))
    return found


def test_seed_creates_the_jasper_setup(db: Session) -> None:
    seed(db, "alice")

    template = db.scalar(select(Client).where(Client.client_code == SYSTEM_EVENTS_CODE))
    assert template is not None
    assert template.is_template
    task = db.scalar(select(Task).where(Task.task_no == JASPER_TASK_NO))
    assert task is not None
    assert (task.type, task.enabled, task.system_account_id) == ("jasper", True, template.id)
    jasper = db.scalar(select(User).where(User.name == "Jasper"))
    assert jasper is not None
    assert jasper.is_global
    assert _plan_assignments(db, "Commission") == [("Jasper", 1, {"command_type": "Activate"})]
    assert _plan_assignments(db, "Decommission") == [("Jasper", 1, {"command_type": "Deactivate"})]
    types = {
        e.type_no: (e.description, db.get(ActionPlan, e.action_plan_id).name)  # type: ignore[union-attr]
        for e in db.scalars(select(EventType).where(EventType.client_id == template.id))
    }
    assert types == {
        system_events.CLIENT_COMMISSIONED: ("Client Commissioned", "Commission"),
        system_events.CLIENT_DECOMMISSIONED: ("Client Decommissioned", "Decommission"),
        system_events.TASK_SUCCEEDED: ("Task Succeeded", "Task Result"),
        system_events.TASK_SUPERSEDED: ("Task Superseded", "Task Result"),
        system_events.TASK_FAILED: ("Task Failed", "Task Failure"),
        system_events.TASK_UNCONFIRMED: ("Task Accepted, Not Yet Confirmed", "Task Failure"),
        system_events.SIM_CONSOLE_ACTION: ("SIM Console Action", "Task Result"),
        system_events.SIM_DRIFT: ("SIM Status Drift", "Task Failure"),
        system_events.RECONCILIATION_SUMMARY: ("SIM Reconciliation Summary", "Task Result"),
        system_events.RECORD_CORRECTED: ("Client Record Corrected", "Task Result"),
        system_events.PANEL_REPORTED: ("Panel Reported After Commissioning", "Task Result"),
        system_events.PANEL_SILENT: ("Panel Silent After Commissioning", "Task Failure"),
        system_events.TEST_REPORT_MISSED: ("Test Report Missed", "Task Failure"),
    }
    console = db.scalar(select(Task).where(Task.task_no == CONSOLE_TASK_NO))
    assert console is not None
    assert (console.type, console.system_account_id) == ("sim_console", template.id)
    assert system_settings.get(db, system_settings.NEW_CLIENT_TEMPLATE) == SYSTEM_EVENTS_CODE


def test_seeding_twice_changes_nothing(session: Session) -> None:
    seed(session, "alice")
    before = f.row_counts(session)

    seed(session, "bob")

    after = f.row_counts(session)
    assert after == {**before, "operator_log": before["operator_log"] + 1}


def test_seed_keeps_a_template_setting_an_admin_chose(db: Session) -> None:
    f.client(db, "MINE", is_template=True)
    system_settings.set_value(db, system_settings.NEW_CLIENT_TEMPLATE, "MINE", "alice")

    seed(db, "alice")

    assert system_settings.get(db, system_settings.NEW_CLIENT_TEMPLATE) == "MINE"


def test_after_seeding_commission_and_decommission_fire_the_jasper_task(db: Session) -> None:
    seed(db, "alice")
    f.jasper_type(db)
    client = f.client(db, "C1")
    f.sims(db, client, 1)

    clients.commission(db, client, "alice")
    clients.decommission(db, client, "alice", "gone")

    assert [(e.options["command_type"], e.target_key) for e in f.executions(db)] == [
        ("Activate", f"sim:{f.iccid(1)}"),
        ("Deactivate", f"sim:{f.iccid(1)}"),
    ]
