"""What needs a person now, for other systems (a wall board, a ticketing system)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from features.attention import service
from models.db import unit_of_work
from web.api.common import errors
from web.auth import ApiUser

router = APIRouter(tags=["attention"])


class AttentionItemOut(BaseModel):
    kind: Literal["failed", "unconfirmed", "drift", "silent", "termination"] = Field(
        description="failed: a task that failed; unconfirmed: a change the carrier did not show yet; "
        "drift: a SIM whose status at the carrier is not what it should be; termination: a SIM its "
        "policy will terminate, unless re-commissioned first; silent: a panel that sent "
        "nothing after its commissioning"
    )
    client_code: str = Field(description="The client, as staff read its code (with area and port if any)")
    client_id: int
    client_name: str
    iccid: str | None
    since: datetime
    message: str = Field(description="What happened, in staff's words")
    execution_id: int | None = Field(description="What POST /api/executions/{id}/retry retries")
    communicator_type: str | None


class AttentionOut(BaseModel):
    items: list[AttentionItemOut] = Field(description="Newest first")
    count: int


@router.get("/attention", response_model=AttentionOut, responses=errors())
def attention(
    user: ApiUser,
    kind: Annotated[
        Literal["failed", "unconfirmed", "drift", "silent", "termination"] | None, Query()
    ] = None,
    q: Annotated[str, Query(max_length=100, description="Text in the client, ICCID or message")] = "",
) -> AttentionOut:
    """Everything that needs a person now, across all clients, newest first."""
    with unit_of_work() as session:
        found = service.items(session, kind=kind, text=q)
    return AttentionOut(
        items=[
            AttentionItemOut(
                kind=item.kind,  # type: ignore[arg-type]  # one of KINDS
                client_code=item.client_code,
                client_id=item.client_id,
                client_name=item.client_name,
                iccid=item.iccid,
                since=item.since,
                message=item.message,
                execution_id=item.execution_id,
                communicator_type=item.communicator_type,
            )
            for item in found
        ],
        count=len(found),
    )
