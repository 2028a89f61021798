"""System-wide settings, such as Default Commission Date To Current Time."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import system_settings
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]


def _page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        values = system_settings.all_settings(session)
        rows = [
            (spec, values[name], spec.default in ("true", "false"))
            for name, spec in system_settings.SPECS.items()
        ]
        context = {"nav": "admin", "rows": rows, "state": state}
        return render(
            request, "admin/settings.html", context, user=user, status_code=422 if state.errors else 200
        )


@router.get("/settings")
def page(request: Request, user: PageAdmin) -> Response:
    return _page(request, user)


@router.post("/settings/{name}")
def update(
    request: Request, user: PageAdmin, name: Annotated[str, Path(max_length=64)], form: FormData
) -> Response:
    with unit_of_work() as session:
        system_settings.get(session, name)  # an unknown setting is a 404 page, not a form error

    def act(session: Session) -> str:
        stored = system_settings.set_value(session, name, form.text("value", "value"), user.name)
        return f"Setting {name} is now {stored!r}."

    key = f"setting-{name}"
    return submit(request, form, key, {"value": ""}, act, "/admin/settings", partial(_page, request, user))
