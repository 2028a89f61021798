"""The decommission policy on the JSON API: GET and PUT /api/communicator-types/{id}/decommission-policy,
and GET /api/terminations. Admin, as on the web and the command line.

Setting *terminate after N days* needs ``"confirm": true`` in the same request, as the terminations it
leads to cannot be undone; ``"terminate_after_days": null`` clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from centre import communicator_types
from features.decommission_policy import service
from features.decommission_policy.service import MAX_DAYS
from models import CommunicatorType
from models.db import unit_of_work
from web.api.common import errors
from web.auth import ApiAdmin
from web.limits import MAX_ID

router = APIRouter(tags=["decommission policy"])
CommId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminate_after_days: int | None = Field(
        ge=1, le=MAX_DAYS, description="Terminate SIMs this many days after decommissioning; null: never"
    )
    confirm: bool = Field(
        False, description="Required to set a number of days: a termination cannot be undone"
    )


class PolicyOut(BaseModel):
    communicator_type: str
    platform: str = Field(description="The carrier platform's name")
    decommission_sets: str = Field(description="The status decommissioning sets: it stops billing")
    termination_sets: str | None = Field(description="The status a termination sets; null: the API cannot")
    terminate_after_days: int | None = Field(description="null: decommissioned SIMs are never terminated")
    description: str = Field(description="The policy in words, for staff")


class TerminationOut(BaseModel):
    client_code: str
    iccid: str
    communicator_type: str
    status: str = Field(description="The status the termination will set")
    decommissioned_at: datetime
    due_at: datetime


def _policy_out(comm: CommunicatorType) -> PolicyOut:
    effect = service.effect(comm.kind)
    return PolicyOut(
        communicator_type=comm.name,
        platform=effect.platform,
        decommission_sets=effect.stop_status,
        termination_sets=effect.terminal_status,
        terminate_after_days=comm.terminate_after_days,
        description=service.policy_text(comm),
    )


@router.get(
    "/communicator-types/{comm_id}/decommission-policy",
    response_model=PolicyOut,
    responses=errors(403, 404),
)
def read_policy(comm_id: CommId, user: ApiAdmin) -> PolicyOut:
    """What decommissioning does to the SIMs of this communicator type. Admin."""
    with unit_of_work() as session:
        return _policy_out(communicator_types.get(session, comm_id))


@router.put(
    "/communicator-types/{comm_id}/decommission-policy",
    response_model=PolicyOut,
    responses=errors(400, 403, 404),
)
def set_policy(comm_id: CommId, body: PolicyIn, user: ApiAdmin) -> PolicyOut:
    """Set or clear *terminate after N days decommissioned*. Admin; setting it needs ``confirm``."""
    with unit_of_work() as session:
        comm = communicator_types.get(session, comm_id)
        service.set_policy(
            session, comm, body.terminate_after_days, user.name, admin=user.is_admin, confirmed=body.confirm
        )
        return _policy_out(comm)


@router.get("/terminations", response_model=list[TerminationOut], responses=errors(403))
def list_terminations(user: ApiAdmin) -> list[TerminationOut]:
    """The SIM terminations the policies will ask for, soonest first; a re-commission cancels one. Admin."""
    with unit_of_work() as session:
        return [
            TerminationOut(
                client_code=item.client_code,
                iccid=item.iccid,
                communicator_type=item.communicator_type,
                status=item.terminal_status,
                decommissioned_at=item.decommissioned_at,
                due_at=item.due_at,
            )
            for item in service.pending(session)
        ]
