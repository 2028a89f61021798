"""Templates (accounts whose event types clients inherit) and the event types on them."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import clients, event_types, plans
from models import Client
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
TEMPLATE_LABELS = {"code": "client code", "name": "name", "parent": "template"}
EVENT_LABELS = {"type_no": "type number", "description": "description", "action_plan": "action plan"}


def _templates_page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        items = event_types.templates(session)
        parents = {t.id: t.client_code for t in items}
        context = {"nav": "admin", "items": items, "parents": parents, "state": state}
        status = 422 if state.errors else 200
        return render(request, "admin/templates.html", context, user=user, status_code=status)


def _owner_page(request: Request, user: Principal, owner_id: int, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        owner = clients.get(session, owner_id)
        context = {
            "nav": "admin",
            "owner": owner,
            "rows": event_types.of(session, owner),
            "action_plans": [p.name for p in plans.action_plans(session)],
            "state": state,
        }
        status = 422 if state.errors else 200
        return render(request, "admin/template.html", context, user=user, status_code=status)


@router.get("/templates")
def templates_page(request: Request, user: PageAdmin) -> Response:
    return _templates_page(request, user)


@router.post("/templates")
def add_template(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        template = event_types.add_template(
            session,
            form.text("code", "client code"),
            form.text("name"),
            user.name,
            parent_code=form.text("parent", "template"),
        )
        return f"Template {template.client_code} added."

    return submit(
        request,
        form,
        "add",
        TEMPLATE_LABELS,
        act,
        "/admin/templates",
        partial(_templates_page, request, user),
    )


@router.get("/templates/{owner_id}")
def owner_page(request: Request, user: PageAdmin, owner_id: Id) -> Response:
    return _owner_page(request, user, owner_id)


@router.post("/templates/{owner_id}/event-types")
def add_event_type(request: Request, user: PageAdmin, owner_id: Id, form: FormData) -> Response:
    def act(session: Session) -> str:
        owner: Client = clients.get(session, owner_id)
        added = event_types.add(
            session,
            owner,
            form.integer("type_no", "type number"),
            form.text("description"),
            form.text("action_plan", "action plan"),
            user.name,
        )
        return f"Event type {added.type_no} added."

    done = f"/admin/templates/{owner_id}"
    return submit(
        request, form, "add", EVENT_LABELS, act, done, partial(_owner_page, request, user, owner_id)
    )


def _owner_of(event_type_id: int) -> int:
    with unit_of_work() as session:
        return event_types.get(session, event_type_id).client_id


@router.post("/event-types/{event_type_id}")
def update_event_type(request: Request, user: PageAdmin, event_type_id: Id, form: FormData) -> Response:
    owner_id = _owner_of(event_type_id)

    def act(session: Session) -> str:
        updated = event_types.update(
            session,
            event_types.get(session, event_type_id),
            form.text("description"),
            form.text("action_plan", "action plan"),
            user.name,
        )
        return f"Event type {updated.type_no} saved."

    key = f"edit-{event_type_id}"
    done = f"/admin/templates/{owner_id}"
    return submit(request, form, key, EVENT_LABELS, act, done, partial(_owner_page, request, user, owner_id))


@router.post("/event-types/{event_type_id}/delete")
def delete_event_type(request: Request, user: PageAdmin, event_type_id: Id, form: FormData) -> Response:
    owner_id = _owner_of(event_type_id)

    def act(session: Session) -> str:
        found = event_types.get(session, event_type_id)
        event_types.remove(session, found, user.name)
        return f"Event type {found.type_no} deleted."

    key = f"edit-{event_type_id}"
    done = f"/admin/templates/{owner_id}"
    return submit(request, form, key, EVENT_LABELS, act, done, partial(_owner_page, request, user, owner_id))
