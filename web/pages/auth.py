"""Log in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from centre import login_guard, logins
from models.db import unit_of_work
from web.auth import LoginRequired, log_in, log_out, page_user
from web.forms import NO_FORM, Form, FormState, read_form
from web.templating import render

router = APIRouter()


def safe_next(target: str) -> str:
    """Only a path on this site: never another site (open redirect) or a protocol-relative URL."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\x00" not in target:
        return target
    return "/attention"


@router.get("/login")
def login_page(request: Request, next: str = "/attention") -> Response:
    try:
        page_user(request)
        return RedirectResponse(safe_next(next), status_code=303)
    except LoginRequired:
        pass
    return render(request, "login.html", {"state": NO_FORM, "next": safe_next(next)})


@router.post("/login")
def login(request: Request, form: Annotated[Form, Depends(read_form)]) -> Response:
    target = safe_next(form.text("next"))
    username, address = form.text("username"), request.client.host if request.client else "unknown"
    with unit_of_work() as session:
        refused = login_guard.refusal(session, username, address)
    if refused is not None:  # before the password is hashed: a flood of attempts costs no scrypt work
        return _login_failed(request, form, target, 429, _too_many(refused), refused.retry_after_s)
    with unit_of_work() as session:
        account = logins.authenticate(session, username, form.text("password"))
        if account is None:
            login_guard.failed(session, username, address)
    if account is None:
        return _login_failed(request, form, target, 400, _WRONG)
    log_in(request, account)
    return RedirectResponse(target, status_code=303)


_WRONG = "The user name or password is wrong (or the account is disabled)."


def _too_many(refused: login_guard.Refused) -> str:
    return (
        "Too many failed logins for this user name or from this address: "
        f"try again in {refused.retry_after_s} seconds."
    )


def _login_failed(
    request: Request, form: Form, target: str, status: int, message: str, retry_after_s: int | None = None
) -> Response:
    state = FormState("login", form.refill(), {"": message})
    answer = render(request, "login.html", {"state": state, "next": target}, status_code=status)
    if retry_after_s is not None:
        answer.headers["Retry-After"] = str(retry_after_s)
    return answer


@router.post("/logout")
def logout(request: Request) -> Response:
    log_out(request)
    return RedirectResponse("/login", status_code=303)
