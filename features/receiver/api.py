"""A client's receiver account in the JSON API (the twin of ``commissioner client receiver-account``),
the panels silent after their commissioning, and the panel event map (the twin of ``commissioner
panel-map``: everyone reads it, admins change it). The AES key is write-only: never answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from centre import clients
from centre.clients import ClientRef
from centre.errors import NotFound
from features.receiver import accounts, mapping, verify
from features.receiver.accounts import MAX_RECEIVER_LINE
from models import PanelEventCode
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


Protocol = Annotated[Literal["sia", "cid"], Path(description="sia (SIA DCS) or cid (Contact ID)")]
EventCode = Annotated[
    str,
    Path(
        min_length=2, max_length=4, description="A SIA code (BA), or a Contact ID qualifier and event (1130)"
    ),
]


class PanelEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type_no: int = Field(ge=0, le=65535, description="The event type number the signal is logged with")
    zone: int | None = Field(
        default=None, ge=0, le=65535, description="A fixed zone; null: the message's own"
    )
    description: str = Field(default="", max_length=100)
    test_report: bool = Field(default=False, description="Whether the event resets the client's test timer")


class PanelEventOut(BaseModel):
    protocol: str
    code: str
    type_no: int
    zone: int | None
    description: str
    test_report: bool


def _event_out(row: PanelEventCode) -> PanelEventOut:
    return PanelEventOut(
        protocol=row.protocol,
        code=row.code,
        type_no=row.type_no,
        zone=row.zone,
        description=row.description,
        test_report=row.test_report,
    )


@router.get("/panel-map", response_model=list[PanelEventOut], responses=errors())
def panel_map(user: ApiUser) -> list[PanelEventOut]:
    """How panel events become signals, by protocol and code (seeded with the common codes)."""
    with unit_of_work() as session:
        mapping.ensure_defaults(session)
        return [_event_out(row) for row in mapping.list_all(session)]


@router.put("/panel-map/{protocol}/{code}", response_model=PanelEventOut, responses=errors(400, 403))
def set_panel_event(protocol: Protocol, code: EventCode, body: PanelEventIn, user: ApiAdmin) -> PanelEventOut:
    """Map a panel event code to a type number (and a fixed zone). Admin."""
    with unit_of_work() as session:
        row = mapping.set_code(
            session,
            protocol,
            code,
            body.type_no,
            user.name,
            zone=body.zone,
            description=body.description,
            test_report=body.test_report,
        )
        return _event_out(row)


@router.delete("/panel-map/{protocol}/{code}", status_code=204, responses=errors(400, 403))
def remove_panel_event(protocol: Protocol, code: EventCode, user: ApiAdmin) -> None:
    """Unmap a code: its events are logged as unmapped (type 0) from then on, never dropped. Admin."""
    with unit_of_work() as session:
        mapping.remove_code(session, protocol, code, user.name)
