"""The drift report: every SIM whose status at the carrier is not what it should be, for all staff,
refreshing by itself, with "reconcile now" and how drift went over the last two weeks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from centre import communicator_types
from features.drift import judge, service
from models.db import unit_of_work
from web.auth import PageUser
from web.charts import Series, bars
from web.forms import Form, read_form
from web.templating import centre_zone, flash, render, render_fragment

router = APIRouter()


@router.get("/drift")
def drift_page(request: Request, user: PageUser) -> Response:
    """What reconciliation found and has not seen resolved yet, oldest first."""
    context = _context() | {"nav": "drift", "chart": _chart()}
    return render(request, "drift.html", context, user=user)


@router.get("/drift/items")
def drift_items(request: Request, user: PageUser) -> Response:
    """The list alone, for htmx to swap in every few seconds."""
    return render_fragment(request, "_drift_items.html", _context(), user=user)


@router.post("/drift/reconcile")
def reconcile_now(request: Request, user: PageUser, form: Annotated[Form, Depends(read_form)]) -> Response:
    """Ask the workers to read the carrier now (one account, or every one)."""
    raw = form.text("communicator_type_id").strip()
    comm_id = form.integer("communicator_type_id", "communicator type") if raw else None
    with unit_of_work() as session:
        sent = service.request_reconcile(session, user.name, comm_id)
    message = (
        "Reconciliation started: this list refreshes by itself as the carrier answers."
        if sent
        else "Reconciliation could not be started now (the workers' broker did not answer); "
        "the scheduled one will run."
    )
    if request.headers.get("HX-Request") == "true":
        return HTMLResponse(f'<p class="help" role="status">{escape(message)}</p>')
    flash(request, message, "ok" if sent else "error")
    return RedirectResponse("/drift", status_code=303)


def _context() -> dict[str, Any]:
    with unit_of_work() as session:
        carriers = {c.id: c.name for c in communicator_types.list_all(session)}
        items = [
            {"drift": drift, "client": client, "carrier": carriers.get(drift.communicator_type_id, "")}
            for drift, client in judge.open_drift(session)
        ]
    return {"items": items}


def _chart() -> Any:
    with unit_of_work() as session:
        days = service.drift_per_day(session)
    zone = centre_zone()
    labels = [day.start.astimezone(zone).strftime("%d %b") for day in days]
    return bars(
        "SIMs out of line at the end of each day, and drift found, last 14 days",
        labels,
        [
            Series("out of line", "chart-bad", [day.open for day in days]),
            Series("found that day", "chart-info", [day.found for day in days]),
        ],
        every=2,
    )
