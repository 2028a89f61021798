"""The SIM console: a client's SIMs, read live from the carrier, and requests that the workers carry out.

Reads answer 502 when the carrier refused the call and 503 when it could not be reached, with the
carrier's answer explained. Requests answer 202: the outcome arrives in the client's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy.orm import Session

from centre import clients, sims
from centre.clients import ClientRef
from features.sim_console import service as sim_console
from features.sim_console.schemas import (
    RatePlansOut,
    SimOut,
    SimOverviewOut,
    SimRatePlanIn,
    SimRequestOut,
    SimRetireIn,
    SimSmsIn,
    SimStatusIn,
    SimUsageOut,
    StatusChangeOut,
)
from models import Client, utcnow
from models.db import unit_of_work
from web.api.clients import AreaQuery, Code, PortQuery
from web.api.common import errors
from web.api.schemas import ErrorOut
from web.auth import ApiAdmin, ApiUser

router = APIRouter(tags=["SIM console"])

Iccid = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9]+$", description="The SIM's ICCID")]
CycleStart = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="First day of the billing cycle, YYYY-MM-DD; absent: the current cycle",
    ),
]

_CARRIER: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorOut, "description": "The carrier refused the call; its answer explained"},
    503: {"model": ErrorOut, "description": "The carrier (or our call pacing) is not available now"},
}


def _reads(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {**errors(404, *codes), **_CARRIER}


def _client(code: str, area: int | None, port: str | None) -> Callable[[Session], Client]:
    return lambda session: clients.find(session, ClientRef(code, area, port))


def _carrier_failed(problem: sim_console.CarrierProblem) -> NoReturn:
    headers = {"Retry-After": str(max(1, round(problem.retry_after)))} if problem.retry_after else None
    raise HTTPException(problem.status, problem.message, headers)


def _requested(requested: sim_console.Requested) -> SimRequestOut:
    return SimRequestOut(
        execution_id=requested.execution_id,
        signal_id=requested.signal_id,
        description=requested.description,
        status=requested.status,  # type: ignore[arg-type]  # one of the ExecutionStatus values
    )


@router.get("/clients/{code}/sims", response_model=list[SimOut], responses=errors(404))
def list_sims(code: Code, user: ApiUser, area: AreaQuery = None, port: PortQuery = None) -> list[SimOut]:
    """The client's SIMs: Jasper add-on devices with an ICCID (a linked area's include its base's)."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code, area, port))
        return [
            SimOut(
                iccid=s.iccid,
                communicator_type=s.communicator_type,
                on_base_account=s.owner_client_id != client.id,
            )
            for s in sims.of_client(session, client)
        ]


@router.get("/clients/{code}/sims/{iccid}", response_model=SimOverviewOut, responses=_reads())
def overview(
    code: Code, iccid: Iccid, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> SimOverviewOut:
    """Read live from the carrier: status, plans, dates, overage state, and which status changes its
    rules allow now."""
    located = sim_console.locate(_client(code, area, port), iccid)
    try:
        view = sim_console.overview(located)
    except sim_console.CarrierProblem as problem:
        _carrier_failed(problem)
    device = view.device
    return SimOverviewOut(
        iccid=device.iccid,
        status=device.status,
        rate_plan=device.rate_plan,
        communication_plan=device.communication_plan,
        date_added=device.date_added,
        date_modified=device.date_updated,
        date_activated=device.date_activated,
        overage_limit_reached=view.overage_limit_reached,
        overage_limit_override=view.overage_limit_override,
        read_at=view.read_at,
        status_changes=[
            StatusChangeOut(
                status=c.status,  # type: ignore[arg-type]  # one of STATUSES
                allowed=c.refused is None,
                refused_because=c.refused,
                admin_only=c.admin_only,
                needs_confirmation=c.needs_confirmation,
            )
            for c in sim_console.status_choices(located.platform, device.status)
        ],
    )


@router.get("/clients/{code}/sims/{iccid}/usage", response_model=SimUsageOut, responses=_reads())
def usage(
    code: Code,
    iccid: Iccid,
    user: ApiUser,
    cycle_start: CycleStart = None,
    area: AreaQuery = None,
    port: PortQuery = None,
) -> SimUsageOut:
    """Data, SMS and voice used in a billing cycle, read live from the carrier."""
    start = sim_console.cycle_start(cycle_start)
    located = sim_console.locate(_client(code, area, port), iccid)
    try:
        used = sim_console.usage(located, start)
    except sim_console.CarrierProblem as problem:
        _carrier_failed(problem)
    return SimUsageOut(
        iccid=located.iccid,
        cycle_start=start,
        data_bytes=used.data_bytes,
        sms_count=used.sms_count,
        voice_seconds=used.voice_seconds,
        session_count=used.session_count,
        read_at=utcnow(),
    )


@router.get("/clients/{code}/sims/{iccid}/rate-plans", response_model=RatePlansOut, responses=_reads())
def rate_plans(
    code: Code, iccid: Iccid, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> RatePlansOut:
    """The rate plans the carrier offers the SIM's account, read live."""
    located = sim_console.locate(_client(code, area, port), iccid)
    try:
        return RatePlansOut(rate_plans=sim_console.rate_plans(located))
    except sim_console.CarrierProblem as problem:
        _carrier_failed(problem)


@router.post(
    "/clients/{code}/sims/{iccid}/status",
    status_code=202,
    response_model=SimRequestOut,
    responses=_reads(400, 409),
)
def change_status(
    code: Code, iccid: Iccid, body: SimStatusIn, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> SimRequestOut:
    """Change the SIM's status. Its status is read live first: a move the carrier would refuse (back to
    a pre-activation status once activated, 10000029; the status it already has) answers 409 and is
    not sent."""
    located = sim_console.locate(_client(code, area, port), iccid)
    try:
        return _requested(sim_console.request_status(located, body.status, user.name, admin=user.is_admin))
    except sim_console.CarrierProblem as problem:
        _carrier_failed(problem)


@router.post(
    "/clients/{code}/sims/{iccid}/retire",
    status_code=202,
    response_model=SimRequestOut,
    responses=_reads(400, 403, 409),
)
def retire(
    code: Code,
    iccid: Iccid,
    body: SimRetireIn,
    user: ApiAdmin,
    area: AreaQuery = None,
    port: PortQuery = None,
) -> SimRequestOut:
    """Retire the SIM: the end of its life at the carrier. Needs ``"confirm": true``. Admin."""
    located = sim_console.locate(_client(code, area, port), iccid)
    try:
        requested = sim_console.request_status(
            located,
            sim_console.terminal_status(located),
            user.name,
            admin=user.is_admin,
            confirmed=body.confirm,
        )
    except sim_console.CarrierProblem as problem:
        _carrier_failed(problem)
    return _requested(requested)


@router.post(
    "/clients/{code}/sims/{iccid}/sms",
    status_code=202,
    response_model=SimRequestOut,
    responses=errors(400, 404),
)
def send_sms(
    code: Code, iccid: Iccid, body: SimSmsIn, user: ApiUser, area: AreaQuery = None, port: PortQuery = None
) -> SimRequestOut:
    """Send an SMS to the SIM; the outcome carries the carrier's message id and delivery status."""
    located = sim_console.locate(_client(code, area, port), iccid)
    return _requested(sim_console.request_sms(located, body.text, user.name, admin=user.is_admin))


@router.post(
    "/clients/{code}/sims/{iccid}/rate-plan",
    status_code=202,
    response_model=SimRequestOut,
    responses=_reads(400, 403),
)
def change_rate_plan(
    code: Code,
    iccid: Iccid,
    body: SimRatePlanIn,
    user: ApiAdmin,
    area: AreaQuery = None,
    port: PortQuery = None,
) -> SimRequestOut:
    """Move the SIM to another of the rate plans the carrier lists (checked live). Admin."""
    located = sim_console.locate(_client(code, area, port), iccid)
    try:
        return _requested(
            sim_console.request_rate_plan(located, body.rate_plan, user.name, admin=user.is_admin)
        )
    except sim_console.CarrierProblem as problem:
        _carrier_failed(problem)
