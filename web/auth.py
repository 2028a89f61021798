"""Who is asking: a logged-in account (pages, signed session cookie) or an API token (JSON API).

Pages check a per-session CSRF token on every unsafe request (a form field, or the X-CSRF-Token header
that htmx sends). The JSON API takes only ``Authorization: Bearer``, never the cookie, so a page from
another site cannot make a browser call it, and it needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from centre import api_tokens, login_guard, logins
from models import OperatorLogin
from models.db import unit_of_work

_SESSION = "session"
_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    """Who acts: ``name`` goes into the operator log and the signals' operator column."""

    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == logins.ADMIN


class LoginRequired(Exception):
    """No valid session: pages send the browser to the login page."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this page."""


class CsrfRejected(Exception):
    """An unsafe request without the session's CSRF token."""


# -- sessions --------------------------------------------------------------------------------------


def log_in(request: Request, account: OperatorLogin) -> None:
    """Start a new session for ``account``, kept on the server (centre/login_guard.py), with a fresh
    CSRF token."""
    with unit_of_work() as session:
        token = login_guard.start_session(session, account)
    request.session.clear()
    request.session.update({_SESSION: token, _CSRF: secrets.token_urlsafe(32)})


def log_out(request: Request) -> None:
    """End the session on the server too: a copy of the cookie no longer logs anyone in."""
    token = request.session.get(_SESSION)
    if isinstance(token, str):
        with unit_of_work() as session:
            login_guard.end_session(session, token)
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (the login form needs one before any login)."""
    token = request.session.get(_CSRF)
    if not isinstance(token, str):
        token = request.session[_CSRF] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> AsyncIterator[None]:
    """Refuse an unsafe request that does not carry the session's CSRF token.

    Closes the request's form when the answer is done: Starlette leaves the files of a form that
    anyone but FastAPI read (an upload) open until garbage collection.
    """
    try:
        if request.method not in _SAFE_METHODS:
            await _check_token(request)
        yield
    finally:
        await request.close()


async def _check_token(request: Request) -> None:
    expected = request.session.get(_CSRF)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not given or not hmac.compare_digest(expected, given):
        raise CsrfRejected


def page_user(request: Request) -> Principal:
    """The logged-in account of the session (not ended, not expired, login still active);
    LoginRequired if none."""
    token = request.session.get(_SESSION)
    if not isinstance(token, str):
        raise LoginRequired
    with unit_of_work() as session:
        account = login_guard.session_login(session, token)
        if account is None:
            request.session.pop(_SESSION, None)
            raise LoginRequired
        return Principal(account.username, account.role)


def page_admin(user: Annotated[Principal, Depends(page_user)]) -> Principal:
    """The logged-in account if it is an admin; Forbidden otherwise."""
    if not user.is_admin:
        raise Forbidden
    return user


PageUser = Annotated[Principal, Depends(page_user)]
PageAdmin = Annotated[Principal, Depends(page_admin)]

# -- API tokens ------------------------------------------------------------------------------------

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token made with `commissioner api-token add NAME` or on the API tokens page.",
)


def api_user(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    """The API token's principal (``api:<token name>``); 401 without a valid token."""
    if credentials is None:
        raise HTTPException(
            401, "an API token is required: Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"}
        )
    with unit_of_work() as session:
        token = api_tokens.authenticate(session, credentials.credentials)
        if token is None:
            raise HTTPException(401, "the API token is not valid", {"WWW-Authenticate": "Bearer"})
        return Principal(f"api:{token.name}", token.role)


def api_admin(user: Annotated[Principal, Depends(api_user)]) -> Principal:
    """The API token's principal if it has the admin role; 403 otherwise."""
    if not user.is_admin:
        raise HTTPException(403, "this call needs an API token with the admin role")
    return user


ApiUser = Annotated[Principal, Depends(api_user)]
ApiAdmin = Annotated[Principal, Depends(api_admin)]
