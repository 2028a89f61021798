"""The drift report: every SIM whose status at the carrier is not what it should be, for all staff."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from centre import communicator_types
from features.drift import judge
from models.db import unit_of_work
from web.auth import PageUser
from web.templating import render

router = APIRouter()


@router.get("/drift")
def drift_page(request: Request, user: PageUser) -> Response:
    """What reconciliation found and has not seen resolved yet, oldest first."""
    with unit_of_work() as session:
        carriers = {c.id: c.name for c in communicator_types.list_all(session)}
        items = [
            {"drift": drift, "client": client, "carrier": carriers.get(drift.communicator_type_id, "")}
            for drift, client in judge.open_drift(session)
        ]
        return render(request, "drift.html", {"nav": "drift", "items": items}, user=user)
