"""Tasks: number, type, description, the system account task-level errors go to, enabled."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import tasks
from models.db import unit_of_work
from pipeline import task_types
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
LABELS = {
    "task_no": "task number",
    "type": "task type",
    "description": "description",
    "system_account": "client",
}


def _page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        rows = [(task, tasks.system_account_code(session, task)) for task in tasks.list_all(session)]
        context = {"nav": "admin", "rows": rows, "types": task_types.names(), "state": state}
        return render(
            request, "admin/tasks.html", context, user=user, status_code=422 if state.errors else 200
        )


@router.get("/tasks")
def page(request: Request, user: PageAdmin) -> Response:
    return _page(request, user)


@router.post("/tasks")
def add(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        task = tasks.add(
            session,
            form.integer("task_no", "task number"),
            form.text("type", "task type"),
            form.text("description"),
            user.name,
            system_account_code=form.text("system_account", "system account"),
            enabled=form.checked("enabled"),
        )
        return f"Task {task.task_no} added."

    return submit(request, form, "add", LABELS, act, "/admin/tasks", partial(_page, request, user))


@router.post("/tasks/{task_id}")
def update(
    request: Request, user: PageAdmin, task_id: Annotated[int, Path(ge=1, le=MAX_ID)], form: FormData
) -> Response:
    def act(session: Session) -> str:
        task = tasks.update(
            session,
            tasks.get(session, task_id),
            user.name,
            description=form.text("description"),
            enabled=form.checked("enabled"),
            system_account_code=form.text("system_account", "system account"),
        )
        return f"Task {task.task_no} saved."

    key = f"edit-{task_id}"
    return submit(request, form, key, LABELS, act, "/admin/tasks", partial(_page, request, user))
