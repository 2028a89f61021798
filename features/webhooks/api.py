"""Webhook endpoints on the JSON API (the twin of ``commissioner webhook`` and the Webhooks page). Admin.

The secret is write-only: given when an endpoint is added (and again when its address changes), never
answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from features.webhooks import endpoints
from features.webhooks.endpoints import WebhookEndpoint
from models.db import unit_of_work
from web.api.common import errors
from web.auth import ApiAdmin

router = APIRouter(tags=["webhooks"])

EndpointName = Annotated[str, Path(min_length=1, max_length=64, description="The endpoint's name")]
Secret = Field(
    min_length=endpoints.MIN_SECRET, max_length=512, description="The HMAC-SHA256 secret; write-only"
)


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="Letters, digits, '.', '-' or '_'")
    url: str = Field(min_length=1, max_length=500, description="An https:// address")
    secret: str = Secret


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=500, description="An https:// address")
    secret: str | None = Field(
        default=None,
        min_length=endpoints.MIN_SECRET,
        max_length=512,
        description="A new secret; required when the address changes; null keeps the stored one",
    )


class EndpointOut(BaseModel):
    name: str
    url: str
    used_by: int = Field(description="How many webhook task assignments name this endpoint")
    updated_at: datetime


def _out(row: WebhookEndpoint, usage: dict[str, int]) -> EndpointOut:
    return EndpointOut(name=row.name, url=row.url, used_by=usage.get(row.name, 0), updated_at=row.updated_at)


@router.get("/webhook-endpoints", response_model=list[EndpointOut], responses=errors(403))
def list_endpoints(user: ApiAdmin) -> list[EndpointOut]:
    """Every webhook endpoint, without its secret. Admin."""
    with unit_of_work() as session:
        usage = endpoints.usage(session)
        return [_out(row, usage) for row in endpoints.list_all(session)]


@router.post(
    "/webhook-endpoints", status_code=201, response_model=EndpointOut, responses=errors(400, 403, 409)
)
def add_endpoint(body: EndpointIn, user: ApiAdmin) -> EndpointOut:
    """Add an endpoint; a name already taken is refused (409). Admin."""
    with unit_of_work() as session:
        row = endpoints.add_endpoint(session, body.name, body.url, body.secret, user.name)
        return _out(row, endpoints.usage(session))


@router.patch("/webhook-endpoints/{name}", response_model=EndpointOut, responses=errors(400, 403, 404))
def update_endpoint(name: EndpointName, body: EndpointUpdate, user: ApiAdmin) -> EndpointOut:
    """Change an endpoint's address and/or secret; a new address needs the secret again. Admin."""
    with unit_of_work() as session:
        row = endpoints.update_endpoint(session, name, body.url, body.secret, user.name)
        return _out(row, endpoints.usage(session))


@router.delete("/webhook-endpoints/{name}", status_code=204, responses=errors(403, 404))
def remove_endpoint(name: EndpointName, user: ApiAdmin) -> Response:
    """Remove an endpoint (deliveries naming it then fail, with the reason, in History). Admin."""
    with unit_of_work() as session:
        endpoints.remove(session, name, user.name)
    return Response(status_code=204)
