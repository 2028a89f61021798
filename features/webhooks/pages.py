"""The webhook endpoints page (admins): list, add, change and remove the endpoints the webhook task POSTs
signals to, and how a receiver checks their signature. A secret is written once: stored encrypted,
never shown or sent back, not even into a form shown again after an error."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre.errors import InvalidInput
from features.webhooks import endpoints
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.pages.common import submit
from web.templating import render

router = APIRouter()

PAGE = "/admin/webhooks"
EndpointName = Annotated[str, Path(min_length=1, max_length=64)]
FormData = Annotated[Form, Depends(read_form)]
# The words the service's messages use for each field, so an error lands next to its field.
LABELS = {"name": "endpoint name", "url": "webhook address", "secret": "webhook secret"}
EDIT_LABELS = {"url": "webhook address", "secret": "webhook secret"}
REMOVE_LABELS = {"confirm": "tick the box"}


def _page(request: Request, user: Principal, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        used = endpoints.usage(session)
        rows = [{"row": row, "used": used.get(row.name, 0)} for row in endpoints.list_all(session)]
    context = {"nav": "admin", "items": rows, "min_secret": endpoints.MIN_SECRET, "state": state}
    # Rendered after the transaction: the page's frame reads the database too.
    return render(request, "webhooks.html", context, user=user, status_code=422 if state.errors else 200)


@router.get(PAGE)
def webhooks_page(request: Request, user: PageAdmin) -> Response:
    """Every endpoint (never its secret), the forms, and how a receiver verifies a delivery."""
    return _page(request, user)


@router.post(PAGE)
def add(request: Request, user: PageAdmin, form: FormData) -> Response:
    """Add an endpoint; a name already taken is refused (change that one instead)."""

    def act(session: Session) -> str:
        row = endpoints.add_endpoint(
            session,
            form.text("name", "endpoint name"),
            form.text("url", "webhook address"),
            form.text("secret", "webhook secret"),
            user.name,
        )
        return f"Webhook endpoint {row.name} added: it posts to {row.url}."

    return submit(request, form, "add", LABELS, act, PAGE, partial(_page, request, user))


@router.post(PAGE + "/{endpoint}")
def change(request: Request, user: PageAdmin, endpoint: EndpointName, form: FormData) -> Response:
    """Change the address and/or the secret (empty: keep it, as long as the address stays)."""

    stored = _existing(endpoint)

    def act(session: Session) -> str:
        secret = form.text("secret", "webhook secret")
        row = endpoints.update_endpoint(
            session, stored, form.text("url", "webhook address"), secret or None, user.name
        )
        return f"Webhook endpoint {row.name} saved: it posts to {row.url}."

    return submit(request, form, f"edit-{stored}", EDIT_LABELS, act, PAGE, partial(_page, request, user))


@router.post(PAGE + "/{endpoint}/remove")
def remove(request: Request, user: PageAdmin, endpoint: EndpointName, form: FormData) -> Response:
    """Remove an endpoint, once ticked: deliveries to it fail from then on, visibly."""

    stored = _existing(endpoint)

    def act(session: Session) -> str:
        if not form.checked("confirm"):
            raise InvalidInput(f"removing endpoint {stored} cannot be undone: tick the box to confirm")
        endpoints.remove(session, stored, user.name)
        return f"Webhook endpoint {stored} removed."

    return submit(request, form, f"remove-{stored}", REMOVE_LABELS, act, PAGE, partial(_page, request, user))


def _existing(endpoint: str) -> str:
    """The endpoint's stored name; NotFound (a 404 page) when there is none, before any form is read
    as this endpoint's (its form would not be on the page to show an error in)."""
    with unit_of_work() as session:
        return endpoints.get(session, endpoint).name
