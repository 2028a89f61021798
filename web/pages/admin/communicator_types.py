"""Communicator types: their secrets (API key; password and licence key) are write-only (never shown,
never sent back); Test connection."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from sqlalchemy.orm import Session

from carriers import registry
from centre import communicator_types, corrections
from centre.errors import InvalidInput
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import flash, render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
CommId = Annotated[int, Path(ge=1, le=MAX_ID)]
TEST_TIMEOUT_S = 5.0

LABELS = {
    "name": "name",
    "kind": "kind",
    "server_address": "server address",
    "user_name": "user name",
    **{field.name: field.label for field, _kinds in communicator_types.every_secret_field()},
    "calls_per_second": "calls per second",
}


def _list_page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        context = {
            "nav": "admin",
            "items": communicator_types.list_all(session),
            "kinds": [(kind, f"{registry.PLATFORMS[kind].label} ({kind})") for kind in registry.kinds()],
            "secret_fields": communicator_types.every_secret_field(),
            "state": state,
        }
        status = 422 if state.errors else 200
        return render(request, "admin/communicator_types.html", context, user=user, status_code=status)


def _edit_page(request: Request, user: Principal, comm_id: int, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        comm = communicator_types.get(session, comm_id)
        fields = communicator_types.secret_fields(comm.kind)
        context = {"nav": "admin", "comm": comm, "secret_fields": fields, "state": state}
        status = 422 if state.errors else 200
        return render(request, "admin/communicator_type.html", context, user=user, status_code=status)


def _secrets(form: Form) -> dict[str, str]:
    """The secret fields filled in (the platform's rules decide which it needs)."""
    given = {
        field.name: form.optional(field.name, field.label)
        for field, _ in communicator_types.every_secret_field()
    }
    return {name: value for name, value in given.items() if value is not None}


@router.get("/communicator-types")
def list_page(request: Request, user: PageAdmin) -> Response:
    return _list_page(request, user)


@router.post("/communicator-types")
def add(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        comm = communicator_types.add(
            session,
            form.text("name"),
            form.text("server_address", "server address"),
            form.text("user_name", "user name"),
            _secrets(form),
            user.name,
            kind=form.text("kind") or "jasper",
            calls_per_second=(
                form.number("calls_per_second", "calls per second")
                if form.text("calls_per_second").strip()
                else None
            ),
        )
        return f"Communicator type {comm.name} added."

    return submit(
        request, form, "add", LABELS, act, "/admin/communicator-types", partial(_list_page, request, user)
    )


@router.get("/communicator-types/{comm_id}")
def edit_page(request: Request, user: PageAdmin, comm_id: CommId) -> Response:
    return _edit_page(request, user, comm_id)


@router.post("/communicator-types/{comm_id}")
def update(request: Request, user: PageAdmin, comm_id: CommId, form: FormData) -> Response:
    def act(session: Session) -> str:
        comm = communicator_types.get(session, comm_id)
        communicator_types.update(
            session,
            comm,
            user.name,
            server_address=form.text("server_address", "server address"),
            user_name=form.text("user_name", "user name"),
            secret=_secrets(form) or None,  # all empty: keep the stored secrets
            calls_per_second=form.number("calls_per_second", "calls per second"),
        )
        return f"Communicator type {comm.name} saved."

    return submit(
        request,
        form,
        "edit",
        LABELS,
        act,
        f"/admin/communicator-types/{comm_id}",
        partial(_edit_page, request, user, comm_id),
    )


@router.post("/communicator-types/{comm_id}/remove")
def remove(request: Request, user: PageAdmin, comm_id: CommId, form: FormData) -> Response:
    def act(session: Session) -> str:
        comm = communicator_types.get(session, comm_id)
        if not form.checked("confirm"):
            raise InvalidInput(f"removing {comm.name} cannot be undone: tick the box to confirm")
        corrections.remove_communicator_type(session, comm, user.name)
        return f"Communicator type {comm.name} removed."

    again = partial(_edit_page, request, user, comm_id)
    return submit(request, form, "remove", {"confirm": "confirm"}, act, "/admin/communicator-types", again)


@router.post("/communicator-types/{comm_id}/test")
def test_connection(request: Request, user: PageAdmin, comm_id: CommId) -> Response:
    """Ask the carrier with the saved settings; the transaction is closed before the call."""
    with unit_of_work() as session:
        account = communicator_types.carrier_account(communicator_types.get(session, comm_id))
    result = communicator_types.check_connection(account, timeout_s=TEST_TIMEOUT_S)
    text = ("Connection works: " if result.ok else "Connection failed: ") + result.message
    if request.headers.get("HX-Request") == "true":
        css = "flash-ok" if result.ok else "flash-error"
        return HTMLResponse(f'<p class="flash {css}" role="status">{escape(text)}</p>')
    flash(request, text, "ok" if result.ok else "error")
    return RedirectResponse(f"/admin/communicator-types/{comm_id}", status_code=303)
