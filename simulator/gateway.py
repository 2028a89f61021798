"""The front door of a simulated platform other than Control Center (emnify, Super SIM).

Each platform's calls meet, in the order a real call meets a carrier: the down switch, authentication
(the platform's own), its limits and the shared ``rate_limit`` fault, latency, then the random faults
(fail, timeout, drop, cut) drawn from the same seeded sequence as Control Center's, then the errors
scripted for the SIM the path names (``/_admin/<platform>/errors``, as Control Center's
``/_admin/errors``); then the route. Every call goes into the one call log (``/_admin/calls``). The fault
switches are the simulator's one ``Faults``: switching one on affects every platform served.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.state import CallFacts, ScriptedErrors, Simulator

_TAP_LIMIT = 64 * 1024  # error bodies are tiny; never buffer a large body just to read its code


class Door(Protocol):
    """What a simulated platform tells its front door."""

    prefix: str  # e.g. "/api/v1/": the paths this door serves

    def authenticate(self, path: str, headers: Headers) -> str | Response:
        """The caller's account name, or the platform's refusal."""
        ...

    def admit(self, account: str, method: str, path: str) -> Response | None:
        """None if the platform's limits let the call through, else its rate-limit answer."""
        ...

    def too_many(self) -> Response:
        """The platform's rate-limit answer."""
        ...

    def server_error(self) -> Response:
        """The platform's answer to an internal failure (the fail and timeout faults)."""
        ...

    def error_code(self, body: Any) -> str | None:
        """The platform's error code in an error answer, for the call log."""
        ...

    def iccid_of(self, path: str) -> str | None:
        """The ICCID a path names, if it names one."""
        ...

    @property
    def scripted_errors(self) -> ScriptedErrors:
        """The error answers queued for the platform's SIMs."""
        ...

    def scripted_answer(self, code: str) -> Response:
        """The platform's answer for a scripted error code, in its own envelope and HTTP status."""
        ...


class Gateway:
    """Pure ASGI middleware: one platform's front door, and the call log."""

    def __init__(self, app: ASGIApp, simulator: Simulator, door: Door) -> None:
        self.app, self.simulator, self.door = app, simulator, door

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.door.prefix):
            await self.app(scope, receive, send)
            return
        clock = self.simulator.clock
        started, wall = clock.monotonic(), clock.now()
        tap = ResponseTap(send)
        account: str | None = None
        fault: str | None = None
        try:
            refusal, account, fault = await self._front_door(scope)
            if fault == "drop":
                tap.withhold = True
                await self.app(scope, receive, tap.send)
                await asyncio.sleep(self.simulator.faults.hang_seconds)
                await PlainTextResponse("Answer dropped", status_code=502)(scope, receive, send)
            else:
                tap.cut = fault == "cut"
                await (refusal or self.app)(scope, receive, tap.send)
        finally:
            facts = CallFacts(
                method=scope["method"],
                path=scope["path"],
                iccid=self.door.iccid_of(scope["path"]),
                status=tap.status,
                error_code=self.door.error_code(tap.body()),
                user_name=account,
                duration_ms=(clock.monotonic() - started) * 1000,
                fault=fault,
            )
            self.simulator.calls.record(started, wall, facts)

    async def _front_door(self, scope: Scope) -> tuple[Response | None, str | None, str | None]:
        faults = self.simulator.faults
        if faults.down:
            return PlainTextResponse("Service Unavailable", status_code=503), None, "down"
        who = self.door.authenticate(scope["path"], Headers(scope=scope))
        if isinstance(who, Response):
            return who, None, None
        limited = self.door.admit(who, scope["method"], scope["path"])
        if limited is None and not self.simulator.admit(f"{self.door.prefix}{who}"):
            limited = self.door.too_many()  # the shared rate_limit fault, answered as the platform does
        if limited is not None:
            return limited, who, None
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = self.simulator.draw_fault()
        if fault == "timeout":
            await asyncio.sleep(faults.hang_seconds)
        if fault in ("fail", "timeout"):
            return self.door.server_error(), who, fault
        scripted = self.door.scripted_errors.take(self.door.iccid_of(scope["path"]))
        if scripted is not None:
            return self.door.scripted_answer(scripted), who, "error"
        return None, who, fault if fault in ("drop", "cut") else None


def add_error_routes(admin: APIRouter, door_of: Callable[[Request], Door]) -> None:
    """``GET``, ``POST`` and ``DELETE`` of ``errors`` on a platform's admin router: the errors scripted
    for its SIMs, as Control Center's ``/_admin/errors`` (a list of {iccid, errorCode, count}; 422 and
    nothing queued if any item is bad)."""

    @admin.get("/errors")
    async def get_errors(request: Request) -> Response:
        return JSONResponse(door_of(request).scripted_errors.to_json())

    @admin.post("/errors")
    async def add_errors(request: Request) -> Response:
        errors = door_of(request).scripted_errors
        try:
            items = json.loads(await request.body() or b"null")
        except ValueError:
            return JSONResponse({"detail": "the body is not valid JSON"}, status_code=422)
        try:
            queued = errors.add(items)
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=422)
        return JSONResponse({"queued": queued, "errors": errors.to_json()})

    @admin.delete("/errors")
    async def clear_errors(request: Request) -> Response:
        return JSONResponse({"cleared": door_of(request).scripted_errors.clear()})


class ResponseTap:
    """Passes an answer through (or withholds it, or cuts it), noting its status and error body."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._body = bytearray()
        self.status: int | None = None
        self.withhold = False  # note the answer but do not pass it on (the drop fault)
        self.cut = False  # pass a successful answer on with its body cut in half (the cut fault)
        self._start: Message | None = None
        self._cut_body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and self._wants_body():
            self._body += message.get("body", b"")
        if self.cut and self.status is not None and 200 <= self.status < 300:
            await self._send_cut(message)
        elif not self.withhold:
            await self._send(message)

    async def _send_cut(self, message: Message) -> None:
        """Hold the answer until its last body part, then send its first half, Content-Length fitted (a
        proxy that lost the rest of the answer but not its wits)."""
        if message["type"] == "http.response.start":
            self._start = message
            return
        self._cut_body += message.get("body", b"")
        if message.get("more_body", False):
            return
        body = bytes(self._cut_body[: len(self._cut_body) // 2])
        assert self._start is not None
        headers = [(k, v) for k, v in self._start.get("headers", []) if k.lower() != b"content-length"]
        await self._send({**self._start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await self._send({"type": "http.response.body", "body": body})

    def _wants_body(self) -> bool:
        return self.status is not None and self.status >= 400 and len(self._body) < _TAP_LIMIT

    def body(self) -> Any:
        """The error answer's body as JSON; None if it was not JSON (or there was none)."""
        try:
            return json.loads(self._body) if self._body else None
        except ValueError:
            return None
