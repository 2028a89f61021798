"""POST /api/signals: other systems' signals, through the same pipeline as every other signal."""

from __future__ import annotations

from fastapi import APIRouter

from centre import clients
from centre.clients import ClientRef
from models import SignalSource
from models.db import unit_of_work
from pipeline import history, signals
from web.api.common import entry_out, errors
from web.api.schemas import SignalIn, SignalOut
from web.auth import ApiUser

router = APIRouter(tags=["signals"])


@router.post("/signals", status_code=201, response_model=SignalOut, responses=errors(400, 404))
def post_signal(body: SignalIn, user: ApiUser) -> SignalOut:
    """Log a signal on a client; its action plan's tasks run as for any signal (source API)."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(body.client_code, body.area, body.port))
        logged = signals.log_signal(
            session,
            client,
            body.type_no,
            zone=body.zone,
            memo=body.memo,
            source=SignalSource.API,
            operator=user.name,
        )
        [entry] = history.signals(session, client, after_id=logged.id - 1, limit=1)
        return SignalOut(
            **entry_out(entry).model_dump(),
            client_code=client.client_code,
            area=client.area,
            port=client.port,
        )
