"""Clients: search, read, commission, decommission, history, operator log; devices and adding (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from centre import clients, corrections
from centre.clients import ClientRef
from models import Client
from models.db import unit_of_work
from pipeline import history
from web.api.common import client_out, entry_out, errors
from web.api.schemas import (
    Area,
    ClientDetailOut,
    ClientIn,
    ClientOut,
    ClientPatch,
    CommissionIn,
    DecommissionIn,
    DeviceIn,
    DeviceOut,
    DevicePatch,
    HistoryEntryOut,
    OperatorLogOut,
    Port,
    PressOut,
)
from web.auth import ApiAdmin, ApiUser
from web.limits import MAX_BIG_ID, MAX_ID

router = APIRouter(tags=["clients"])

Code = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")]
AreaQuery = Annotated[Area | None, Query(description="Only when the code has several areas")]
PortQuery = Annotated[Port | None, Query(description="Only when the code has several ports")]


def _find(session: Session, code: str, area: int | None, port: str | None) -> Client:
    return clients.find(session, ClientRef(code, area, port))


@router.get("/clients", response_model=list[ClientOut], responses=errors())
def search(
    user: ApiUser,
    search: Annotated[
        str, Query(max_length=100, pattern=r"^[^\x00]*$", description="Code or name contains")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ClientOut]:
    """Clients (not templates) whose code or name contains ``search``."""
    with unit_of_work() as session:
        return [client_out(c) for c in clients.search(session, search, limit=limit)]


@router.post("/clients", status_code=201, response_model=ClientOut, responses=errors(400, 403, 404, 409))
def add(body: ClientIn, user: ApiAdmin) -> ClientOut:
    """Add a client (commissioned at once when the system-wide setting says so). Admin."""
    with unit_of_work() as session:
        added = clients.add(
            session,
            body.code,
            body.name,
            user.name,
            area=body.area,
            port=body.port,
            template_code=body.template_code,
        )
        return client_out(added)


@router.get("/clients/{code}", response_model=ClientDetailOut, responses=errors(404))
def read(code: Code, user: ApiUser, area: AreaQuery = None, port: PortQuery = None) -> ClientDetailOut:
    """The client's Maintenance view: dates, reason, offline flag and add-on devices."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        devices = [
            DeviceOut(id=d.id, communicator_type=c.name, kind=c.kind, device_ref_no=d.device_ref_no)
            for d, c in clients.devices(session, client)
        ]
        return ClientDetailOut(**client_out(client).model_dump(), devices=devices)


@router.post("/clients/{code}/commission", response_model=PressOut, responses=errors(400, 404))
def commission(
    code: Code,
    user: ApiUser,
    body: CommissionIn | None = None,
    area: AreaQuery = None,
    port: PortQuery = None,
) -> PressOut:
    """Commission the client (and its base and linked areas): logs 65516 and runs its tasks."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        logged = clients.commission(session, client, user.name, body.memo if body else "")
        return PressOut(client=client_out(client), signal_ids=[s.id for s in logged])


@router.post("/clients/{code}/decommission", response_model=PressOut, responses=errors(400, 404))
def decommission(
    code: Code, body: DecommissionIn, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> PressOut:
    """Decommission the client (and its base and linked areas), optionally taking it offline: 65517."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        logged = clients.decommission(session, client, user.name, body.reason, offline=body.offline)
        return PressOut(client=client_out(client), signal_ids=[s.id for s in logged])


@router.get("/clients/{code}/history", response_model=list[HistoryEntryOut], responses=errors(404))
def client_history(
    code: Code,
    user: ApiUser,
    after_id: Annotated[int, Query(ge=0, le=MAX_BIG_ID, description="Only signals after this one")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    area: AreaQuery = None,
    port: PortQuery = None,
) -> list[HistoryEntryOut]:
    """The client's signals, oldest first; poll with ``after_id`` = the last id seen."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        return [entry_out(e) for e in history.signals(session, client, after_id=after_id, limit=limit)]


@router.get("/clients/{code}/operator-log", response_model=list[OperatorLogOut], responses=errors(404))
def operator_log(
    code: Code, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> list[OperatorLogOut]:
    """Who changed what on the client, oldest first."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        return [
            OperatorLogOut(id=e.id, at=e.at, operator=e.operator, action=e.action, detail=e.detail)
            for e in history.operator_log(session, client)
        ]


@router.post(
    "/clients/{code}/devices", status_code=201, response_model=DeviceOut, responses=errors(400, 403, 404, 409)
)
def add_device(
    code: Code, body: DeviceIn, user: ApiAdmin, area: AreaQuery = None, port: PortQuery = None
) -> DeviceOut:
    """Add an add-on device; for a Jasper communicator type the Device Ref No is the SIM's ICCID. Admin."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        device = clients.add_device(session, client, body.communicator_type, body.device_ref_no, user.name)
        for found, comm in clients.devices(session, client):
            if found.id == device.id:
                return DeviceOut(
                    id=device.id,
                    communicator_type=comm.name,
                    kind=comm.kind,
                    device_ref_no=found.device_ref_no,
                )
        raise AssertionError("the device just added is on the client")


# -- corrections (admin) ---------------------------------------------------------------------------

DeviceId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.patch("/clients/{code}", response_model=ClientOut, responses=errors(400, 403, 404, 409))
def correct(
    code: Code, body: ClientPatch, user: ApiAdmin, area: AreaQuery = None, port: PortQuery = None
) -> ClientOut:
    """Rename a client, retire it (kept with its history, hidden, read-only; a commissioned client is
    decommissioned first) or restore it. Each change is in its history (65532) and the operator log. Admin."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        if body.retired is False and client.retired_at is not None:
            corrections.restore(session, client, user.name)
        if body.name is not None:
            corrections.rename(session, client, body.name, user.name)
        if body.retired and client.retired_at is None:
            corrections.retire(session, client, user.name)
        return client_out(client)


@router.patch(
    "/clients/{code}/devices/{device_id}", response_model=DeviceOut, responses=errors(400, 403, 404, 409)
)
def correct_device(
    code: Code,
    device_id: DeviceId,
    body: DevicePatch,
    user: ApiAdmin,
    area: AreaQuery = None,
    port: PortQuery = None,
) -> DeviceOut:
    """Correct an add-on device's Device Ref No (refused while a change on its SIM is in flight). Admin."""
    with unit_of_work() as session:
        client = _find(session, code, area, port)
        device, _old = corrections.edit_device(
            session, client, device_id, user.name, device_ref_no=body.device_ref_no
        )
        _, comm = corrections.device(session, client, device.id)
        return DeviceOut(
            id=device.id, communicator_type=comm.name, kind=comm.kind, device_ref_no=device.device_ref_no
        )


@router.delete("/clients/{code}/devices/{device_id}", status_code=204, responses=errors(403, 404, 409))
def remove_device(
    code: Code, device_id: DeviceId, user: ApiAdmin, area: AreaQuery = None, port: PortQuery = None
) -> Response:
    """Remove an add-on device; its SIM's history stays. Admin."""
    with unit_of_work() as session:
        corrections.remove_device(session, _find(session, code, area, port), device_id, user.name)
    return Response(status_code=204)
