"""A client's receiver account in the JSON API (the twin of ``commissioner client receiver-account``),
and the panels silent after their commissioning. The AES key is write-only: never answered."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from centre import clients
from centre.clients import ClientRef
from centre.errors import NotFound
from features.receiver import accounts, verify
from features.receiver.accounts import MAX_RECEIVER_LINE
from models.db import unit_of_work
from web.api.clients import AreaQuery, Code, PortQuery
from web.api.common import errors
from web.auth import ApiAdmin, ApiUser

router = APIRouter(tags=["receiver"])


class ReceiverAccountIn(BaseModel):
    account: str = Field(min_length=3, max_length=16, description="3 to 16 hex digits, as the panel sends it")
    receiver: int | None = Field(default=None, ge=0, le=MAX_RECEIVER_LINE, description="Receiver number (R)")
    line: int | None = Field(default=None, ge=0, le=MAX_RECEIVER_LINE, description="Line number (L)")
    aes_key: str | None = Field(
        default=None, min_length=16, max_length=32, description="16, 24 or 32 hex characters; write-only"
    )
    test_interval_min: int | None = Field(default=None, ge=1, le=44_640, description="Expect a test report")


class ReceiverAccountOut(BaseModel):
    client_code: str
    account: str
    receiver: int | None
    line: int | None
    encrypted: bool = Field(description="Whether an AES key is set (the key itself is never answered)")
    test_interval_min: int | None


class SilentPanelOut(BaseModel):
    client_code: str
    account: str
    commissioned_at: datetime


def _out(view: accounts.AccountView) -> ReceiverAccountOut:
    return ReceiverAccountOut(
        client_code=view.client_code,
        account=view.account,
        receiver=view.receiver_no,
        line=view.line_no,
        encrypted=view.encrypted,
        test_interval_min=view.test_interval_min,
    )


@router.put(
    "/clients/{code}/receiver-account",
    response_model=ReceiverAccountOut,
    responses=errors(400, 403, 404, 409),
)
def set_receiver_account(
    code: Code, body: ReceiverAccountIn, user: ApiAdmin, area: AreaQuery = None, port: PortQuery = None
) -> ReceiverAccountOut:
    """Give the client its receiver account, replacing the one it had (no aes_key: unencrypted). Admin."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code, area, port))
        row = accounts.set_account(
            session,
            client,
            body.account,
            user.name,
            receiver_no=body.receiver,
            line_no=body.line,
            key=body.aes_key,
            test_interval_min=body.test_interval_min,
        )
        return _out(accounts.view(client, row))


@router.get("/clients/{code}/receiver-account", response_model=ReceiverAccountOut, responses=errors(404))
def get_receiver_account(
    code: Code, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> ReceiverAccountOut:
    """The client's receiver account (404 when it has none)."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code, area, port))
        row = accounts.of(session, client)
        if row is None:
            raise NotFound(f"client {client.label} has no receiver account")
        return _out(accounts.view(client, row))


@router.delete("/clients/{code}/receiver-account", status_code=204, responses=errors(403, 404))
def remove_receiver_account(
    code: Code, user: ApiAdmin, area: AreaQuery = None, port: PortQuery = None
) -> None:
    """Remove the client's receiver account: its panel's messages get NAK from then on. Admin."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code, area, port))
        accounts.remove_account(session, client, user.name)


@router.get("/panels/silent", response_model=list[SilentPanelOut], responses=errors())
def silent_panels(user: ApiUser) -> list[SilentPanelOut]:
    """Panels silent since their commissioning (65528) that have not reported since, newest first."""
    with unit_of_work() as session:
        return [SilentPanelOut(**vars(p)) for p in verify.silent_panels(session)]
