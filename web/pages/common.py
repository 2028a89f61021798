"""What the pages share: run a form's action in one unit of work, then redirect or show the errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from centre.errors import UserError
from models.db import unit_of_work
from web.forms import Form, FormState, failed
from web.templating import flash


def submit(
    request: Request,
    form: Form,
    key: str,
    labels: dict[str, str],
    act: Callable[[Session], str],
    done: str,
    again: Callable[[FormState], HTMLResponse],
) -> Response:
    """Run ``act`` (which returns the success message) in one unit of work.

    Success: flash the message and redirect to ``done`` (post/redirect/get). A user error: nothing is
    committed, and ``again`` renders the page with the message next to its field (status 422).
    """
    try:
        with unit_of_work() as session:
            message = act(session)
    except UserError as error:
        return again(failed(key, form, error, labels))
    flash(request, message)
    return RedirectResponse(done, status_code=303)
