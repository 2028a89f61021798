"""Response overrides (client, template or dealer level) and dealers."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import overrides, plans
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
LABELS = {
    "action_plan": "action plan",
    "response_plan": "response plan",
    "client_code": "client",
    "dealer": "dealer",
}


def _page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        context = {
            "nav": "admin",
            "items": overrides.list_all(session),
            "dealers": [d.name for d in overrides.dealers(session)],
            "action_plans": [p.name for p in plans.action_plans(session)],
            "response_plans": [p.name for p in plans.response_plans(session)],
            "state": state,
        }
        return render(
            request, "admin/overrides.html", context, user=user, status_code=422 if state.errors else 200
        )


@router.get("/overrides")
def page(request: Request, user: PageAdmin) -> Response:
    return _page(request, user)


@router.post("/overrides")
def add(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        overrides.add(
            session,
            form.text("action_plan", "action plan"),
            form.text("response_plan", "response plan"),
            user.name,
            client_code=form.text("client_code", "client code"),
            dealer=form.text("dealer", "dealer"),
        )
        return "Response override added."

    return submit(request, form, "add", LABELS, act, "/admin/overrides", partial(_page, request, user))


@router.post("/overrides/{override_id}/delete")
def remove(
    request: Request, user: PageAdmin, override_id: Annotated[int, Path(ge=1, le=MAX_ID)], form: FormData
) -> Response:
    def act(session: Session) -> str:
        overrides.remove(session, override_id, user.name)
        return "Response override removed."

    key = f"remove-{override_id}"
    return submit(request, form, key, {}, act, "/admin/overrides", partial(_page, request, user))


@router.post("/dealers")
def add_dealer(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        return f"Dealer {overrides.add_dealer(session, form.text('name'), user.name).name} added."

    return submit(
        request, form, "dealer", {"name": "name"}, act, "/admin/overrides", partial(_page, request, user)
    )
