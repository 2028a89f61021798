"""Users: who response plans list (the global Jasper user...), not login accounts."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import users
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
LABELS = {"name": "name"}


def _page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        context = {"nav": "admin", "items": users.list_all(session), "state": state}
        return render(
            request, "admin/users.html", context, user=user, status_code=422 if state.errors else 200
        )


@router.get("/users")
def page(request: Request, user: PageAdmin) -> Response:
    return _page(request, user)


@router.post("/users")
def add(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        added = users.add(session, form.text("name"), user.name, is_global=form.checked("is_global"))
        return f"User {added.name} added."

    return submit(request, form, "add", LABELS, act, "/admin/users", partial(_page, request, user))


@router.post("/users/{user_id}")
def update(
    request: Request, user: PageAdmin, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], form: FormData
) -> Response:
    def act(session: Session) -> str:
        found = users.get(session, user_id)
        users.update(session, found, user.name, name=form.text("name"), is_global=form.checked("is_global"))
        return f"User {found.name} saved."

    return submit(
        request, form, f"edit-{user_id}", LABELS, act, "/admin/users", partial(_page, request, user)
    )
