"""Action plans; response plans with their users (entries) and task assignments with options."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import plans, tasks, users
from models import ResponsePlan
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ACTION_LABELS = {"name": "name", "priority": "priority", "default_response_plan": "response plan"}
RESPONSE_LABELS = {"name": "name"}
ENTRY_LABELS = {"user": "user", "position": "position"}
ASSIGNMENT_LABELS = {"task_no": "task", "options": "option"}

# -- action plans ----------------------------------------------------------------------------------


def _action_plans_page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        responses = plans.response_plans(session)
        names = {plan.id: plan.name for plan in responses}
        context = {
            "nav": "admin",
            "items": plans.action_plans(session),
            "response_names": names,
            "response_plans": [plan.name for plan in responses],
            "state": state,
        }
        status = 422 if state.errors else 200
        return render(request, "admin/action_plans.html", context, user=user, status_code=status)


@router.get("/action-plans")
def action_plans_page(request: Request, user: PageAdmin) -> Response:
    return _action_plans_page(request, user)


@router.post("/action-plans")
def add_action_plan(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        plan = plans.add_action_plan(
            session,
            form.text("name"),
            form.integer("priority", "priority"),
            form.text("default_response_plan", "response plan"),
            user.name,
        )
        return f"Action plan {plan.name} added."

    again = partial(_action_plans_page, request, user)
    return submit(request, form, "add", ACTION_LABELS, act, "/admin/action-plans", again)


@router.post("/action-plans/{plan_id}")
def update_action_plan(request: Request, user: PageAdmin, plan_id: Id, form: FormData) -> Response:
    def act(session: Session) -> str:
        plan = plans.update_action_plan(
            session,
            plans.get_action_plan(session, plan_id),
            user.name,
            name=form.text("name"),
            priority=form.integer("priority", "priority"),
            default_response_plan=form.text("default_response_plan", "response plan"),
        )
        return f"Action plan {plan.name} saved."

    again = partial(_action_plans_page, request, user)
    return submit(request, form, f"edit-{plan_id}", ACTION_LABELS, act, "/admin/action-plans", again)


# -- response plans --------------------------------------------------------------------------------


def _response_plans_page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        context = {"nav": "admin", "items": plans.response_plans(session), "state": state}
        status = 422 if state.errors else 200
        return render(request, "admin/response_plans.html", context, user=user, status_code=status)


def _suggested_options(session: Session, plan: ResponsePlan) -> str:
    """The options a new task assignment starts with: the Jasper command this plan's purpose asks for
    (a plan reached by 65517 Client Decommissioned deactivates), empty when its purpose is unknown."""
    command = plans.purpose_command(session, plan)
    return f"Command Type = {command}" if command else ""


def _one_line(options: dict[str, object]) -> str:
    return plans.format_options(options).replace("\n", "; ") or "none"


def _response_plan_page(
    request: Request, user: Principal, plan_id: int, state: FormState = NO_FORM
) -> HTMLResponse:
    with unit_of_work() as session:
        plan: ResponsePlan = plans.get_response_plan(session, plan_id)
        all_tasks = tasks.list_all(session)
        context = {
            "nav": "admin",
            "plan": plan,
            "user_names": {u.id: u.name for u in users.list_all(session)},
            "task_by_id": {t.id: t for t in all_tasks},
            "task_numbers": [(t.task_no, f"{t.task_no}: {t.description} ({t.type})") for t in all_tasks],
            "format_options": plans.format_options,
            "default_options": _suggested_options(session, plan),
            "state": state,
        }
        status = 422 if state.errors else 200
        return render(request, "admin/response_plan.html", context, user=user, status_code=status)


@router.get("/response-plans")
def response_plans_page(request: Request, user: PageAdmin) -> Response:
    return _response_plans_page(request, user)


@router.post("/response-plans")
def add_response_plan(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        return f"Response plan {plans.add_response_plan(session, form.text('name'), user.name).name} added."

    again = partial(_response_plans_page, request, user)
    return submit(request, form, "add", RESPONSE_LABELS, act, "/admin/response-plans", again)


@router.get("/response-plans/{plan_id}")
def response_plan_page(request: Request, user: PageAdmin, plan_id: Id) -> Response:
    return _response_plan_page(request, user, plan_id)


@router.post("/response-plans/{plan_id}/entries")
def add_entry(request: Request, user: PageAdmin, plan_id: Id, form: FormData) -> Response:
    def act(session: Session) -> str:
        plan = plans.get_response_plan(session, plan_id)
        plans.add_entry(
            session, plan, form.text("user", "user"), form.integer("position", "position"), user.name
        )
        return f"{form.text('user')} added to {plan.name}."

    again = partial(_response_plan_page, request, user, plan_id)
    return submit(request, form, "entry", ENTRY_LABELS, act, f"/admin/response-plans/{plan_id}", again)


def _plan_of_entry(entry_id: int) -> int:
    with unit_of_work() as session:
        return plans.get_entry(session, entry_id).response_plan_id


def _plan_of_assignment(assignment_id: int) -> int:
    with unit_of_work() as session:
        assignment = plans.get_assignment(session, assignment_id)
        return plans.get_entry(session, assignment.entry_id).response_plan_id


@router.post("/entries/{entry_id}/delete")
def remove_entry(request: Request, user: PageAdmin, entry_id: Id, form: FormData) -> Response:
    plan_id = _plan_of_entry(entry_id)

    def act(session: Session) -> str:
        plans.remove_entry(session, plans.get_entry(session, entry_id), user.name)
        return "User removed from the response plan."

    again = partial(_response_plan_page, request, user, plan_id)
    return submit(request, form, f"entry-{entry_id}", {}, act, f"/admin/response-plans/{plan_id}", again)


@router.post("/entries/{entry_id}/assignments")
def add_assignment(request: Request, user: PageAdmin, entry_id: Id, form: FormData) -> Response:
    plan_id = _plan_of_entry(entry_id)

    def act(session: Session) -> str:
        options = plans.parse_options(form.text("options", "options"))
        entry = plans.get_entry(session, entry_id)
        added = plans.add_assignment(
            session, entry, form.integer("task_no", "task number"), options, user.name
        )
        return f"Task assigned with options: {_one_line(added.options)}."

    again = partial(_response_plan_page, request, user, plan_id)
    key = f"assign-{entry_id}"
    return submit(request, form, key, ASSIGNMENT_LABELS, act, f"/admin/response-plans/{plan_id}", again)


@router.post("/assignments/{assignment_id}")
def update_assignment(request: Request, user: PageAdmin, assignment_id: Id, form: FormData) -> Response:
    plan_id = _plan_of_assignment(assignment_id)

    def act(session: Session) -> str:
        options = plans.parse_options(form.text("options", "options"))
        assignment = plans.get_assignment(session, assignment_id)
        plans.update_assignment(session, assignment, options, user.name)
        return f"Options saved: {_one_line(assignment.options)}."

    again = partial(_response_plan_page, request, user, plan_id)
    key = f"assignment-{assignment_id}"
    return submit(request, form, key, ASSIGNMENT_LABELS, act, f"/admin/response-plans/{plan_id}", again)


@router.post("/assignments/{assignment_id}/delete")
def remove_assignment(request: Request, user: PageAdmin, assignment_id: Id, form: FormData) -> Response:
    plan_id = _plan_of_assignment(assignment_id)

    def act(session: Session) -> str:
        plans.remove_assignment(session, plans.get_assignment(session, assignment_id), user.name)
        return "Task assignment removed."

    again = partial(_response_plan_page, request, user, plan_id)
    key = f"assignment-{assignment_id}"
    return submit(request, form, key, ASSIGNMENT_LABELS, act, f"/admin/response-plans/{plan_id}", again)
