"""HTTP face of the simulator: Control Center's REST routes under /rws/api/v1, and /_admin.

Every API call passes the `ApiGateway` middleware first, in the order a real call meets Control
Center: down check, authentication, the account's rate limit, latency, random faults, scripted
errors; then the route. The gateway also writes the call log. Admin routes skip the gateway (same
credentials, no faults). Routes only translate: the rules live in `state.Simulator`.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from carriers.control_center_rest import codes
from carriers.control_center_soap import codes as soap_codes
from simulator import emnify, soap, supersim
from simulator.gateway import ResponseTap
from simulator.state import (
    AuthenticationRequired,
    CallFacts,
    CarrierError,
    Clock,
    Simulator,
    SimulatorConfig,
    decode_json,
    presented_user,
)

API_PREFIX = "/rws/api/v1"
_API_ROOT = "/rws/api/"
_ICCID_IN_PATH = re.compile(r"/rws/api/v1/devices/([^/]+)")


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped, so echoed text (even lone surrogates) always encodes."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
        return text.encode("ascii")


def carrier_response(code: str) -> Response:
    """Control Center's error answer for `code`: the catalogue's HTTP status and envelope."""
    entry = codes.ERROR_CODES[code]
    body = {"errorMessage": entry.carrier_message, "errorCode": entry.code}
    return AsciiJSONResponse(body, status_code=entry.http_status)


def _as_rest(code: str) -> str:
    """A scripted error code as REST answers it: a SOAP fault code by its REST twin, if it has one."""
    if code in codes.ERROR_CODES:
        return code
    return soap_codes.FAULT_CODES[code].same_as or codes.UNRECOGNISED_PARAMETER


def refusal_response(error: Exception) -> Response:
    """The answer to an authentication failure or any CarrierError."""
    if isinstance(error, CarrierError):
        return carrier_response(error.code)
    # Spring's answer to a missing Authorization header: 401 and no errorCode.
    return AsciiJSONResponse({"errorMessage": AuthenticationRequired.message}, status_code=401)


class InvalidAdminRequest(Exception):
    """An admin request we refuse with 422 and `{"detail": message}`."""


async def _on_refusal(request: Request, error: Exception) -> Response:
    return refusal_response(error)


async def _on_invalid_admin_request(request: Request, error: Exception) -> Response:
    # Our own response class: the message may quote the caller's input, and this one always encodes.
    return AsciiJSONResponse({"detail": str(error)}, status_code=422)


def create_app(config: SimulatorConfig, *, clock: Clock | None = None) -> FastAPI:
    """The simulator as an ASGI app; `app.state.simulator` is its live `Simulator`.

    `clock` replaces wall and monotonic time (tests use a fake one).
    """
    simulator = Simulator(config, clock)
    app = FastAPI(
        title="Control Center simulator",
        description="Cisco IoT Control Center REST API, simulated for demos, tests and training.",
        default_response_class=AsciiJSONResponse,
    )
    app.state.simulator = simulator
    app.add_middleware(ApiGateway, simulator=simulator)
    app.add_exception_handler(CarrierError, _on_refusal)
    app.add_exception_handler(AuthenticationRequired, _on_refusal)
    app.add_exception_handler(InvalidAdminRequest, _on_invalid_admin_request)
    app.include_router(_api)
    app.include_router(_admin)
    app.include_router(soap.router)
    if config.emnify_token:
        emnify.install(app, simulator, config.emnify_token, _admin_credentials)
    if config.account_sid and config.auth_token:
        kore = None
        if config.kore_client_id and config.kore_client_secret:
            kore = (config.kore_client_id, config.kore_client_secret)
        supersim.install(app, simulator, config.account_sid, config.auth_token, _admin_credentials, kore)
    return app


# --- the gateway ---------------------------------------------------------------------------------


class ApiGateway:
    """Pure ASGI middleware: Control Center's front door and the call log, for /rws/api/ paths."""

    def __init__(self, app: ASGIApp, simulator: Simulator) -> None:
        self.app = app
        self.simulator = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_API_ROOT):
            await self.app(scope, receive, send)
            return
        clock = self.simulator.clock
        started, wall = clock.monotonic(), clock.now()
        header = Headers(scope=scope).get("authorization")
        tap = ResponseTap(send)
        fault: str | None = None
        try:
            refusal, fault = await self._front_door(scope["path"], header)
            if fault == "drop":
                await self._drop(scope, receive, send, tap)
            else:
                tap.cut = fault == "cut"
                await (refusal or self.app)(scope, receive, tap.send)
        finally:
            facts = CallFacts(
                method=scope["method"],
                path=scope["path"],
                iccid=_iccid_of(scope["path"]),
                status=tap.status,
                error_code=_error_code(tap.body()),
                user_name=presented_user(header),
                duration_ms=(clock.monotonic() - started) * 1000,
                fault=fault,
            )
            self.simulator.calls.record(started, wall, facts)

    async def _front_door(self, path: str, header: str | None) -> tuple[Response | None, str | None]:
        """The answer that stops this call before its route (None to let it through), and the name
        of the fault injected into it, if any ("drop": let it through, then withhold the answer)."""
        simulator, faults = self.simulator, self.simulator.faults
        if faults.down:
            return PlainTextResponse("Service Unavailable", status_code=503), "down"
        try:
            user_name = simulator.authenticate(header)
        except (AuthenticationRequired, CarrierError) as error:
            return refusal_response(error), None
        if not simulator.admit(user_name):
            return carrier_response(codes.RATE_LIMIT_EXCEEDED), None
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = simulator.draw_fault()
        if fault == "timeout":
            await asyncio.sleep(faults.hang_seconds)  # a client with a shorter timeout gives up
        if fault in ("fail", "timeout"):
            return carrier_response(codes.UNKNOWN_SERVER_ERROR), fault
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            return carrier_response(codes.INVALID_API_VERSION), None
        scripted = simulator.scripted_errors.take(_iccid_of(path))
        if scripted is not None:
            return carrier_response(_as_rest(scripted)), "error"
        return None, fault

    async def _drop(self, scope: Scope, receive: Receive, send: Send, tap: ResponseTap) -> None:
        """Run the call (its change is made), then withhold the answer: the caller times out.

        After hang_seconds a plain 502 closes the exchange for a caller that is still waiting; the
        call log keeps the withheld answer's status and errorCode.
        """
        tap.withhold = True
        await self.app(scope, receive, tap.send)
        await asyncio.sleep(self.simulator.faults.hang_seconds)
        await PlainTextResponse("Answer dropped", status_code=502)(scope, receive, send)


def _iccid_of(path: str) -> str | None:
    match = _ICCID_IN_PATH.match(path)
    return match[1] if match else None


def _error_code(body: Any) -> str | None:
    """A Control Center error answer's errorCode, for the call log."""
    code = body.get("errorCode") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


# --- Control Center API --------------------------------------------------------------------------


async def _simulator(request: Request) -> Simulator:
    simulator: Simulator = request.app.state.simulator
    return simulator


SimulatorDep = Annotated[Simulator, Depends(_simulator)]

_api = APIRouter(prefix=API_PREFIX, tags=["Control Center API"])


@_api.get("/echo/{param}")
async def echo(param: str) -> Response:
    """Echo: a cheap check of credentials and connectivity."""
    return AsciiJSONResponse({"param": param})


@_api.get("/devices")
async def search_devices(request: Request, simulator: SimulatorDep) -> Response:
    """Search Devices (modifiedSince required; modifiedTill, status, pageSize, pageNumber)."""
    return AsciiJSONResponse(simulator.search(request.query_params))


@_api.get("/devices/{iccid}")
async def get_device(iccid: str, simulator: SimulatorDep) -> Response:
    """Get Device Details."""
    return AsciiJSONResponse(simulator.device(iccid))


@_api.put("/devices/{iccid}")
async def edit_device(iccid: str, request: Request, simulator: SimulatorDep) -> Response:
    """Edit Device Details: 200 if applied at once, 202 if accepted to apply later."""
    applied = simulator.edit_device(iccid, decode_json(await request.body()))
    return AsciiJSONResponse({"iccid": iccid}, status_code=200 if applied else 202)


@_api.get("/devices/{iccid}/ctdUsages")
async def get_usage(iccid: str, request: Request, simulator: SimulatorDep) -> Response:
    """Get Device Usage for the current cycle, or the one starting on `cycleStartDate`."""
    cycle_start = request.query_params.get("cycleStartDate")
    return AsciiJSONResponse(simulator.usage(iccid, cycle_start))


@_api.post("/devices/{iccid}/smsMessages")
async def send_sms(iccid: str, request: Request, simulator: SimulatorDep) -> Response:
    """Send SMS. The REST API answers `smsMessageId` (the documentation says smsMsgId)."""
    sms_id = simulator.send_sms(iccid, decode_json(await request.body()))
    return AsciiJSONResponse({"smsMessageId": sms_id})


@_api.get("/smsMessages/{sms_id}")
async def get_sms(sms_id: str, request: Request, simulator: SimulatorDep) -> Response:
    """Get SMS Details (messageEncoding LITERAL or BASE64)."""
    encoding = request.query_params.get("messageEncoding")
    return AsciiJSONResponse(simulator.sms(sms_id, encoding))


@_api.get("/rateplans")
async def get_rate_plans(simulator: SimulatorDep) -> Response:
    """Get Rate Plans: the simulator's fixed catalogue."""
    return AsciiJSONResponse(simulator.rate_plans())


# --- admin ---------------------------------------------------------------------------------------


async def _admin_credentials(request: Request, simulator: SimulatorDep) -> None:
    simulator.authenticate(request.headers.get("authorization"))


_admin = APIRouter(prefix="/_admin", tags=["admin"], dependencies=[Depends(_admin_credentials)])


async def _admin_body(request: Request) -> object:
    try:
        return decode_json(await request.body())
    except CarrierError as error:
        raise InvalidAdminRequest("the body is not valid JSON") from error


@_admin.get("/sims")
async def list_sims(simulator: SimulatorDep) -> Response:
    """Every SIM, as device details plus overageLimitOverride."""
    return AsciiJSONResponse(simulator.sims())


@_admin.post("/sims")
async def add_sims(request: Request, simulator: SimulatorDep) -> Response:
    """Add or replace SIMs from a JSON list of SIM objects; all or none (422 if any is bad)."""
    try:
        iccids = simulator.add_sims(await _admin_body(request))
    except ValueError as error:
        raise InvalidAdminRequest(str(error)) from error
    return AsciiJSONResponse({"added": len(iccids), "iccids": iccids})


@_admin.get("/faults")
async def get_faults(simulator: SimulatorDep) -> Response:
    """The current faults."""
    return AsciiJSONResponse(simulator.faults.to_json())


@_admin.put("/faults")
async def update_faults(request: Request, simulator: SimulatorDep) -> Response:
    """Change some faults (a JSON object of fault fields); 422 and no change if any is bad."""
    body = await _admin_body(request)
    if not isinstance(body, dict):
        raise InvalidAdminRequest("expected a JSON object of fault fields")
    try:
        simulator.faults.update(body)
    except ValueError as error:
        raise InvalidAdminRequest(str(error)) from error
    return AsciiJSONResponse(simulator.faults.to_json())


@_admin.get("/errors")
async def get_errors(simulator: SimulatorDep) -> Response:
    """The scripted errors still queued, per ICCID (next first)."""
    return AsciiJSONResponse(simulator.scripted_errors.to_json())


@_admin.post("/errors")
async def add_errors(request: Request, simulator: SimulatorDep) -> Response:
    """Queue error answers: a JSON list of {iccid, errorCode, count (default 1)}; the next `count`
    API calls on that ICCID answer Control Center's error for `errorCode`. 422 if any is bad."""
    try:
        queued = simulator.scripted_errors.add(await _admin_body(request))
    except ValueError as error:
        raise InvalidAdminRequest(str(error)) from error
    return AsciiJSONResponse({"queued": queued, "errors": simulator.scripted_errors.to_json()})


@_admin.delete("/errors")
async def clear_errors(simulator: SimulatorDep) -> Response:
    """Forget every scripted error."""
    return AsciiJSONResponse({"cleared": simulator.scripted_errors.clear()})


@_admin.get("/calls")
async def list_calls(request: Request, simulator: SimulatorDep) -> Response:
    """The call log, from index `since` (default 0); `next` is the index to ask for next time."""
    since = request.query_params.get("since", "0")
    if not since.isascii() or not since.isdigit():
        raise InvalidAdminRequest("since must be a non-negative integer")
    calls = simulator.calls.since(int(since))
    return AsciiJSONResponse(
        {"calls": [call.to_json() for call in calls], "next": simulator.calls.next_index}
    )


@_admin.delete("/calls")
async def clear_calls(simulator: SimulatorDep) -> Response:
    """Forget the call log (indexes keep counting)."""
    return AsciiJSONResponse({"cleared": simulator.calls.clear()})


@_admin.post("/reset")
async def reset(simulator: SimulatorDep) -> Response:
    """Back to the configured SIMs; forget calls, messages, rate windows and scripted errors.
    Faults stay."""
    simulator.reset()
    return AsciiJSONResponse({"sims": len(simulator.sims())})
