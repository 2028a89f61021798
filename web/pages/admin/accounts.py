"""Login accounts (operators and admins) and API tokens (other systems)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import api_tokens, logins
from centre.errors import UserError
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, failed, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()
FormData = Annotated[Form, Depends(read_form)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ACCOUNT_LABELS = {"username": "user name", "password": "password", "role": "role"}
TOKEN_LABELS = {"name": "name", "role": "role"}

# -- login accounts --------------------------------------------------------------------------------


def _accounts_page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        context = {
            "nav": "admin",
            "items": logins.list_all(session),
            "roles": logins.ROLES,
            "state": state,
        }
        status = 422 if state.errors else 200
        return render(request, "admin/accounts.html", context, user=user, status_code=status)


@router.get("/accounts")
def accounts_page(request: Request, user: PageAdmin) -> Response:
    return _accounts_page(request, user)


@router.post("/accounts")
def add_account(request: Request, user: PageAdmin, form: FormData) -> Response:
    def act(session: Session) -> str:
        added = logins.add(
            session, form.text("username", "user name"), form.text("password"), form.text("role"), user.name
        )
        return f"Login account {added.username} ({added.role}) added."

    again = partial(_accounts_page, request, user)
    return submit(request, form, "add", ACCOUNT_LABELS, act, "/admin/accounts", again)


@router.post("/accounts/{account_id}")
def update_account(request: Request, user: PageAdmin, account_id: Id, form: FormData) -> Response:
    def act(session: Session) -> str:
        account = logins.get(session, account_id)
        logins.update(
            session,
            account,
            user.name,
            new_role=form.text("role"),
            active=form.checked("active"),
            new_password=form.optional("password"),
        )
        return f"Login account {account.username} saved."

    again = partial(_accounts_page, request, user)
    return submit(request, form, f"edit-{account_id}", ACCOUNT_LABELS, act, "/admin/accounts", again)


# -- API tokens ------------------------------------------------------------------------------------


def _tokens_page(
    request: Request, user: Principal, state: FormState = NO_FORM, new_token: str = "", status: int = 200
) -> HTMLResponse:
    with unit_of_work() as session:
        context = {
            "nav": "admin",
            "items": api_tokens.list_all(session),
            "roles": logins.ROLES,
            "state": state,
            "new_token": new_token,
        }
        status = 422 if state.errors else status
        return render(request, "admin/api_tokens.html", context, user=user, status_code=status)


@router.get("/api-tokens")
def tokens_page(request: Request, user: PageAdmin) -> Response:
    return _tokens_page(request, user)


@router.post("/api-tokens")
def add_token(request: Request, user: PageAdmin, form: FormData) -> Response:
    """Shows the new token once, on this answer (no redirect: it must not sit in a cookie or a URL)."""
    try:
        with unit_of_work() as session:
            _row, token = api_tokens.add(session, form.text("name"), form.text("role"), user.name)
    except UserError as error:
        return _tokens_page(request, user, failed("add", form, error, TOKEN_LABELS))
    return _tokens_page(request, user, new_token=token, status=201)


@router.post("/api-tokens/{token_id}/revoke")
def revoke_token(request: Request, user: PageAdmin, token_id: Id, form: FormData) -> Response:
    def act(session: Session) -> str:
        api_tokens.revoke(session, token_id, user.name)
        return "API token revoked."

    again = partial(_tokens_page, request, user)
    return submit(request, form, f"revoke-{token_id}", {}, act, "/admin/api-tokens", again)
