"""How pages look on this browser: normal, or wall-screen mode (dark, high contrast, large) for a
screen on the control-room wall. A preference of the browser, kept in a cookie, not in the account:
the same operator uses a laptop and the wall."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from web.auth import PageUser
from web.forms import Form, read_form
from web.pages.auth import safe_next
from web.templating import DISPLAY_COOKIE, DISPLAY_MODES

router = APIRouter()
_A_YEAR_S = 365 * 24 * 3600


@router.post("/display")
def set_display(user: PageUser, form: Annotated[Form, Depends(read_form)]) -> Response:
    mode = form.text("mode")
    answer = RedirectResponse(safe_next(form.text("next")), status_code=303)
    if mode in DISPLAY_MODES:
        answer.set_cookie(DISPLAY_COOKIE, mode, max_age=_A_YEAR_S, httponly=True, samesite="strict")
    return answer
