"""Admin calls: communicator types (the API key is write-only) and system-wide settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from centre import communicator_types, corrections, system_settings
from models.db import unit_of_work
from web.api.common import communicator_type_out, errors
from web.api.schemas import (
    CommunicatorTypeIn,
    CommunicatorTypeOut,
    CommunicatorTypeUpdate,
    ConnectionTestOut,
    SettingIn,
    SettingOut,
)
from web.auth import ApiAdmin
from web.limits import MAX_ID

router = APIRouter(tags=["admin"])
CommId = Annotated[int, Path(ge=1, le=MAX_ID)]
SettingName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
TEST_TIMEOUT_S = 5.0


@router.get("/communicator-types", response_model=list[CommunicatorTypeOut], responses=errors(403))
def list_communicator_types(user: ApiAdmin) -> list[CommunicatorTypeOut]:
    """Every communicator type, without API keys. Admin."""
    with unit_of_work() as session:
        return [communicator_type_out(c) for c in communicator_types.list_all(session)]


@router.post(
    "/communicator-types",
    status_code=201,
    response_model=CommunicatorTypeOut,
    responses=errors(400, 403, 409),
)
def add_communicator_type(body: CommunicatorTypeIn, user: ApiAdmin) -> CommunicatorTypeOut:
    """Add a communicator type: api_key (the API key, application token, auth token or OAuth2 client
    secret of its kind), or password and license_key (jasper-soap), stored encrypted and never returned.
    Admin."""
    with unit_of_work() as session:
        comm = communicator_types.add(
            session,
            body.name,
            body.server_address,
            body.user_name,
            body.secrets(),
            user.name,
            kind=body.kind,
            calls_per_second=body.calls_per_second,
        )
        return communicator_type_out(comm)


@router.get("/communicator-types/{comm_id}", response_model=CommunicatorTypeOut, responses=errors(403, 404))
def read_communicator_type(comm_id: CommId, user: ApiAdmin) -> CommunicatorTypeOut:
    """One communicator type, without its API key. Admin."""
    with unit_of_work() as session:
        return communicator_type_out(communicator_types.get(session, comm_id))


@router.patch(
    "/communicator-types/{comm_id}", response_model=CommunicatorTypeOut, responses=errors(400, 403, 404)
)
def update_communicator_type(
    comm_id: CommId, body: CommunicatorTypeUpdate, user: ApiAdmin
) -> CommunicatorTypeOut:
    """Change some fields; absent secrets keep the stored ones (to replace them, give them all). Admin."""
    with unit_of_work() as session:
        comm = communicator_types.update(
            session,
            communicator_types.get(session, comm_id),
            user.name,
            server_address=body.server_address,
            user_name=body.user_name,
            secret=body.secrets(),
            calls_per_second=body.calls_per_second,
        )
        return communicator_type_out(comm)


@router.delete("/communicator-types/{comm_id}", status_code=204, responses=errors(403, 404, 409))
def remove_communicator_type(comm_id: CommId, user: ApiAdmin) -> Response:
    """Remove a communicator type that no add-on device uses (its stored key goes with it). Admin."""
    with unit_of_work() as session:
        corrections.remove_communicator_type(session, communicator_types.get(session, comm_id), user.name)
    return Response(status_code=204)


@router.post(
    "/communicator-types/{comm_id}/test", response_model=ConnectionTestOut, responses=errors(403, 404)
)
def test_communicator_type(comm_id: CommId, user: ApiAdmin) -> ConnectionTestOut:
    """Ask the carrier whether the saved address and credentials work; ``message`` is its answer. Admin."""
    with unit_of_work() as session:
        account = communicator_types.carrier_account(communicator_types.get(session, comm_id))
    result = communicator_types.check_connection(account, timeout_s=TEST_TIMEOUT_S)
    return ConnectionTestOut(ok=result.ok, message=result.message)


@router.get("/settings", response_model=list[SettingOut], responses=errors(403))
def list_settings(user: ApiAdmin) -> list[SettingOut]:
    """Every system-wide setting with its value. Admin."""
    with unit_of_work() as session:
        values = system_settings.all_settings(session)
    return [
        SettingOut(name=name, label=spec.label, value=values[name])
        for name, spec in system_settings.SPECS.items()
    ]


@router.put("/settings/{name}", response_model=SettingOut, responses=errors(400, 403, 404))
def set_setting(name: SettingName, body: SettingIn, user: ApiAdmin) -> SettingOut:
    """Change a system-wide setting, e.g. default_commission_date_to_current_time = true. Admin."""
    with unit_of_work() as session:
        stored = system_settings.set_value(session, name, body.value, user.name)
    return SettingOut(name=name, label=system_settings.SPECS[name].label, value=stored)
