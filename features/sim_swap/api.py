"""The SIM swap on the JSON API: POST /api/clients/{code}/sims/{iccid}/swap. Admin.

The swap is carried out while the request waits (a few carrier calls, each paced): the answer says
whether it is done, where the device points now and each SIM's status; the same is in the client's
history. A swap the carrier did not let finish answers 200 with ``done`` false: nothing is left unknown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from centre.clients import ClientRef
from features.sim_swap import service
from web.api.clients import AreaQuery, Code, PortQuery
from web.api.common import errors
from web.auth import ApiAdmin

router = APIRouter(tags=["SIM swap"])

Iccid = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9]+$", description="The SIM's ICCID")]


class SimSwapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_iccid: str = Field(min_length=19, max_length=20, pattern=r"^[0-9]+$", description="The new SIM")


class SimSwapOut(BaseModel):
    done: bool = Field(description="Whether the new SIM is on, the old one off and the device moved")
    device_iccid: str = Field(description="The SIM the add-on device points at now: the one that works")
    old_status: str | None = Field(description="The old SIM's status now (None: could not be read)")
    new_status: str | None = Field(description="The new SIM's status now (None: could not be read)")
    message: str = Field(description="What was done, step by step, for staff")


@router.post(
    "/clients/{code}/sims/{iccid}/swap", response_model=SimSwapOut, responses=errors(400, 403, 404, 409)
)
def swap_sim(
    code: Code, iccid: Iccid, body: SimSwapIn, user: ApiAdmin, area: AreaQuery = None, port: PortQuery = None
) -> SimSwapOut:
    """Replace the client's SIM ``iccid`` by ``new_iccid``: the new one on and confirmed, then the old
    one off, then the device moved. Admin."""
    outcome = service.swap(ClientRef(code, area, port), iccid, body.new_iccid, user.name)
    return SimSwapOut(
        done=outcome.done,
        device_iccid=outcome.device_iccid,
        old_status=outcome.old_status,
        new_status=outcome.new_status,
        message=outcome.message,
    )
