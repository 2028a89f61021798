"""A communicator type's decommission policy page (admins): what decommission does on its platform, the
optional *terminate after N days* (irreversible, so set only with a confirmation tick, as the command
line's ``--yes`` and the service require), clearing it, and the terminations it will ask for."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from centre import communicator_types
from features.decommission_policy import service
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import render

router = APIRouter()

CommId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormData = Annotated[Form, Depends(read_form)]
# The words the service's messages use for each field, so an error lands next to its field.
LABELS = {"terminate_after_days": "terminate after", "confirm": "confirm"}


def _path(comm_id: int) -> str:
    return f"/admin/communicator-types/{comm_id}/decommission-policy"


def _page(request: Request, user: Principal, comm_id: int, state: FormState = NO_FORM) -> HTMLResponse:
    with unit_of_work() as session:
        comm = communicator_types.get(session, comm_id)
        context = {
            "nav": "admin",
            "comm": comm,
            "effect": service.effect(comm.kind),
            "policy": service.policy_text(comm),
            "pending": service.pending_for(session, comm),
            "max_days": service.MAX_DAYS,
            "state": state,
        }
    # Rendered after the transaction: the page's frame reads the database too (on SQLite a second
    # transaction would wait for this one's lock).
    return render(
        request, "decommission_policy.html", context, user=user, status_code=422 if state.errors else 200
    )


@router.get("/admin/communicator-types/{comm_id}/decommission-policy")
def policy_page(request: Request, user: PageAdmin, comm_id: CommId) -> Response:
    """The policy, what decommission does on the platform, and the pending terminations."""
    return _page(request, user, comm_id)


@router.post("/admin/communicator-types/{comm_id}/decommission-policy")
def set_policy(request: Request, user: PageAdmin, comm_id: CommId, form: FormData) -> Response:
    """Terminate SIMs N days after decommissioning: refused without the confirmation tick."""

    def act(session: Session) -> str:
        comm = communicator_types.get(session, comm_id)
        days = form.integer("terminate_after_days", "terminate after")
        confirmed = form.checked("confirm")
        service.set_policy(session, comm, days, user.name, admin=user.is_admin, confirmed=confirmed)
        return f"{comm.name}: {service.policy_text(comm)}."

    again = partial(_page, request, user, comm_id)
    return submit(request, form, "policy", LABELS, act, _path(comm_id), again)


@router.post("/admin/communicator-types/{comm_id}/decommission-policy/clear")
def clear_policy(request: Request, user: PageAdmin, comm_id: CommId, form: FormData) -> Response:
    """Never terminate: decommission only stops billing (pending terminations are dropped)."""

    def act(session: Session) -> str:
        comm = communicator_types.get(session, comm_id)
        service.set_policy(session, comm, None, user.name, admin=user.is_admin, confirmed=False)
        return f"{comm.name}: {service.policy_text(comm)}."

    again = partial(_page, request, user, comm_id)
    return submit(request, form, "clear", {}, act, _path(comm_id), again)
