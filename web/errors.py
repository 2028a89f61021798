"""How errors become answers: messages users can act on as 4xx, and only real bugs as a logged 500.

Pages get an HTML page with the navigation (or, for htmx, a fragment and a redirect header); the JSON API
gets one shape for every error, ``{"detail": "...", "errors": [...]}`` (web/api/schemas.py ``ErrorOut``),
the list naming the fields a 422 found not valid.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from markupsafe import escape
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from centre.errors import Conflict, NotFound, NotPermitted, UserError
from web.auth import CsrfRejected, Forbidden, LoginRequired, Principal, page_user
from web.templating import render

log = logging.getLogger("commissioner.web")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/readyz")


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def user_error_status(error: UserError) -> int:
    """The HTTP status for an error a user caused."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, NotPermitted):
        return 403
    return 422


def _json(status: int, message: str, errors: list[dict[str, Any]] | None = None, **kw: Any) -> JSONResponse:
    return JSONResponse({"detail": message, "errors": errors or []}, status_code=status, **kw)


def _answer(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return _json(status, message)
    if _is_htmx(request):
        # htmx shows nothing for an error answer by default; this text is for the error region.
        return HTMLResponse(f'<p class="field-error" role="alert">{escape(message)}</p>', status_code=status)
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    context = {"title": title, "message": message, "status": status}
    return render(request, "error.html", context, user=_who(request), status_code=status)


def _who(request: Request) -> Principal | None:
    """Whoever is logged in, so that an error page keeps the navigation."""
    try:
        return page_user(request)
    except Exception:  # no session, or the database is what failed: an error page without navigation
        return None


async def _on_user_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, UserError)
    return _answer(request, user_error_status(error), str(error))


async def _on_login_required(request: Request, _error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"/login?next={_quote(target)}" if request.method == "GET" else "/login"
    if _is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


async def _on_forbidden(request: Request, _error: Exception) -> Response:
    return _answer(request, 403, "This page is for admins: your account is an operator account.")


async def _on_csrf(request: Request, _error: Exception) -> Response:
    return _answer(
        request, 403, "The form was not accepted (its security token is missing or expired): reload the page."
    )


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if _is_api(request):
        return _json(error.status_code, str(error.detail), headers=error.headers)
    if error.status_code == 404:
        return _answer(request, 404, "There is no such page.")
    if error.status_code == 405:
        return _answer(request, 405, "That action cannot be done this way.")
    return _answer(request, error.status_code, str(error.detail))


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _is_api(request):
        # Without the offending input: it may be anything (1e400 parses as inf, which JSON cannot carry).
        found = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        first = found[0] if found else None
        where = ".".join(str(part) for part in first["loc"][1:]) if first else ""
        message = f"the request is not valid: {where + ': ' if where else ''}{first['msg'] if first else ''}"
        return _json(422, message.rstrip(": "), jsonable_encoder(found))
    if any(e["loc"] and e["loc"][0] == "path" for e in error.errors()):
        # /clients/abc names no client, as /clients/999999 does not: the same 404 page.
        return _answer(request, 404, "There is no such page.")
    return _answer(request, 422, "The request was not valid: check the address and the form.")


async def _on_integrity_error(request: Request, error: Exception) -> Response:
    # The services check uniqueness first; this is two people adding the same thing at once.
    log.info("integrity error on %s %s: %s", request.method, request.url.path, type(error).__name__)
    return _answer(request, 409, "This conflicts with a change made at the same moment: try again.")


async def _on_data_error(request: Request, error: Exception) -> Response:
    # A value the database refuses that our checks let through: the user gets a 4xx, we get a warning.
    log.warning("value refused by the database on %s %s", request.method, request.url.path, exc_info=error)
    return _answer(request, 422, "A value was refused by the database (too long or not allowed).")


async def _on_database_down(request: Request, error: Exception) -> Response:
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, error)
    return _answer(request, 503, "The database is not available right now: try again in a moment.")


async def _on_bug(request: Request, error: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return PlainTextResponse("Internal error: it has been logged.", status_code=500)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(UserError, _on_user_error)
    app.add_exception_handler(LoginRequired, _on_login_required)
    app.add_exception_handler(Forbidden, _on_forbidden)
    app.add_exception_handler(CsrfRejected, _on_csrf)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(OperationalError, _on_database_down)
    app.add_exception_handler(Exception, _on_bug)
