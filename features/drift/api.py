"""The drift report in the JSON API (SIMs whose status at the carrier is not what it should be)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from centre import communicator_types
from features.drift import judge
from models.db import unit_of_work
from web.api.common import errors
from web.auth import ApiUser

router = APIRouter(tags=["drift"])


class DriftOut(BaseModel):
    """One SIM out of line, as reconciliation last found it."""

    iccid: str
    client_id: int
    client_code: str
    area: int
    port: str
    client_name: str
    communicator_type: str = Field(description="The carrier account the SIM is on")
    expected_status: str = Field(description="What the SIM should be: the newest change asked for on it")
    carrier_status: str = Field(description="What the carrier says")
    detected_at: datetime = Field(description="Since when the carrier has disagreed")


@router.get("/drift", response_model=list[DriftOut], responses=errors())
def drift(user: ApiUser) -> list[DriftOut]:
    """Every SIM currently out of line, oldest first (as `commissioner reconcile --report` lists them)."""
    with unit_of_work() as session:
        carriers = {c.id: c.name for c in communicator_types.list_all(session)}
        return [
            DriftOut(
                iccid=item.iccid,
                client_id=client.id,
                client_code=client.client_code,
                area=client.area,
                port=client.port,
                client_name=client.name,
                communicator_type=carriers.get(item.communicator_type_id, ""),
                expected_status=item.expected_status,
                carrier_status=item.carrier_status,
                detected_at=item.detected_at,
            )
            for item, client in judge.open_drift(session)
        ]
