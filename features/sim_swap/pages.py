"""The SIM swap page: GET shows the form for one of a client's SIMs, POST swaps it and goes back to the
SIM console with the outcome (also in the client's History). Admins only.

The swap is carried out while the request waits, with no transaction open during the carrier calls;
bad input or a refused swap shows the form again with the reason, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from centre import clients
from centre.clients import ClientRef
from centre.errors import UserError
from features.sim_swap import service
from models.db import unit_of_work
from web.auth import PageAdmin, Principal
from web.forms import NO_FORM, Form, FormState, failed, read_form
from web.limits import MAX_ID
from web.templating import flash, render

router = APIRouter()

ClientId = Annotated[int, Path(ge=1, le=MAX_ID)]
Iccid = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9]+$")]
FormData = Annotated[Form, Depends(read_form)]
LABELS = {"new_iccid": "new SIM"}


def _page(request: Request, user: Principal, client_id: int, iccid: str, state: FormState) -> HTMLResponse:
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        context = {"client": client, "iccid": iccid, "state": state, "nav": "clients", "tab": "sims"}
    return render(request, "sim_swap.html", context, user=user, status_code=422 if state.errors else 200)


@router.get("/clients/{client_id}/sims/{iccid}/swap")
def swap_page(request: Request, user: PageAdmin, client_id: ClientId, iccid: Iccid) -> Response:
    return _page(request, user, client_id, iccid, NO_FORM)


@router.post("/clients/{client_id}/sims/{iccid}/swap")
def swap(request: Request, user: PageAdmin, client_id: ClientId, iccid: Iccid, form: FormData) -> Response:
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        ref = ClientRef(client.client_code, client.area, client.port)
    try:
        outcome = service.swap(ref, iccid, form.text("new_iccid", "new SIM"), user.name)
    except UserError as error:
        return _page(request, user, client_id, iccid, failed("swap", form, error, LABELS))
    flash(request, outcome.message, "ok" if outcome.done else "error")
    return RedirectResponse(f"/clients/{client_id}/sims", status_code=303)
