"""emnify's REST API, simulated under ``/api/v1/`` on the simulator's port (``--emnify-token``).

What a client written for emnify-openapi.yml meets: ``POST /api/v1/authenticate`` trades the
application token for a signed JWT (HS256, ``exp`` TOKEN_LIFE_S ahead) to send as a Bearer token; SIMs
listed and found (``q=iccid:`` / ``iccid_with_luhn:``, paged with ``X-Total-Pages``), read, PATCHed by
status id under emnify's moves, DELETEd; statistics; SMS to an endpoint. Errors are
``{"error_code", "error_token", "message"}``. Limits as published: 100 authentications and 2,000 calls
per caller in 5 minutes, 10 listings a second; beyond them 429 with Retry-After.

A lenient simulator (not ``--strict``) makes an Issued SIM, with an endpoint, for an ICCID it is asked
for and does not know; a strict one knows only the SIMs added at ``POST /_admin/emnify/sims``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers

from carriers.emnify import codes, statuses
from simulator.gateway import Gateway, add_error_routes
from simulator.state import Clock, CodeCatalogue, RateLimiter, ScriptedErrors, Simulator, is_iccid

PREFIX = "/api/v1"
TOKEN_LIFE_S = 4 * 3600
AUTH_LIMIT = (100, 300.0)  # per caller in 5 minutes
CALL_LIMIT = (2000, 300.0)
LISTING_PER_SECOND = 10.0
PER_PAGE_MAX = 2500
FIRST_SIM_ID = 1000
FIRST_ENDPOINT_ID = 5000
_SIM_PATH = re.compile(r"/api/v1/sim/([0-9]+)")


class EmnifyError(Exception):
    """An error answer by its token (carriers/emnify/codes.py)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _error_token(code: object) -> str | None:
    return code if isinstance(code, str) and code in codes.ERROR_TOKENS else None


# A scripted error names its error token (emnify's answers are told apart by it).
SCRIPTABLE = CodeCatalogue(_error_token, f"one of emnify's error tokens ({', '.join(codes.ERROR_TOKENS)})")


def error_response(token: str, retry_after: int | None = None) -> Response:
    entry = codes.ERROR_TOKENS[token]
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = {"error_code": entry.code, "error_token": entry.token, "message": entry.carrier_message}
    return JSONResponse(body, status_code=entry.http_status, headers=headers)


@dataclass
class EmnifySim:
    id: int
    iccid_with_luhn: str
    status_id: int
    endpoint_id: int | None
    production_date: datetime
    activation_date: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        sim: dict[str, Any] = {
            "id": self.id,
            "iccid": self.iccid_with_luhn[:-1],
            "iccid_with_luhn": self.iccid_with_luhn,
            "production_date": _iso(self.production_date),
            "status": {"id": self.status_id, "description": statuses.NAMES[self.status_id]},
            "imsi": "90143" + self.iccid_with_luhn[-10:],
            "msisdn": "423" + self.iccid_with_luhn[-9:],
        }
        if self.activation_date is not None:
            sim["activation_date"] = _iso(self.activation_date)
        if self.endpoint_id is not None:
            sim["endpoint"] = {"id": self.endpoint_id}
        return sim


@dataclass
class _Window:
    """Calls per caller in fixed windows of ``seconds``."""

    capacity: int
    seconds: float
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def admit(self, key: str, now: float) -> int | None:
        """None if admitted, else the seconds until the window ends."""
        window = math.floor(now / self.seconds)
        current, count = self.counts.get(key, (window, 0))
        count = 0 if current != window else count
        if count >= self.capacity:
            return max(1, math.ceil((window + 1) * self.seconds - now))
        self.counts[key] = (window, count + 1)
        return None


class Emnify:
    """One simulated emnify organisation."""

    prefix = PREFIX + "/"

    def __init__(self, application_token: str, strict: bool, clock: Clock) -> None:
        self.application_token = application_token
        self.strict = strict
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self.scripted_errors = ScriptedErrors(SCRIPTABLE)
        self.reset()

    def reset(self) -> None:
        self.sims: dict[str, EmnifySim] = {}
        self.by_id: dict[int, EmnifySim] = {}
        self.sms: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_sim, self._next_endpoint, self._next_sms = FIRST_SIM_ID, FIRST_ENDPOINT_ID, 1
        self._auth_window, self._call_window = _Window(*AUTH_LIMIT), _Window(*CALL_LIMIT)
        self._listings = RateLimiter(self.clock)
        self.generation = 0  # tokens of an older generation are refused (the admin's "expire tokens")
        self.scripted_errors.clear()

    # front door ----------------------------------------------------------------------------------

    def authenticate(self, path: str, headers: Headers) -> str | Response:
        caller = "caller"  # one address: every test client is 127.0.0.1
        if path == f"{PREFIX}/authenticate":
            return caller
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self._valid(token.strip()):
            return error_response(codes.TOKEN_EXPIRED)
        return caller

    def admit(self, account: str, method: str, path: str) -> Response | None:
        now = self.clock.monotonic()
        if path == f"{PREFIX}/authenticate":
            wait = self._auth_window.admit(account, now)
        else:
            wait = self._call_window.admit(account, now)
        if wait is None and method == "GET" and path.rstrip("/") == f"{PREFIX}/sim":
            wait = None if self._listings.admit(account, LISTING_PER_SECOND) else 1
        return None if wait is None else error_response(codes.TOO_MANY_REQUESTS, wait)

    def too_many(self) -> Response:
        return error_response(codes.TOO_MANY_REQUESTS, 1)

    def server_error(self) -> Response:
        return error_response(codes.INTERNAL_ERROR)

    def error_code(self, body: Any) -> str | None:
        token = body.get("error_token") if isinstance(body, dict) else None
        return token if isinstance(token, str) else None

    def iccid_of(self, path: str) -> str | None:
        match = _SIM_PATH.match(path)
        sim = self.by_id.get(int(match[1])) if match else None
        return sim.iccid_with_luhn if sim else None

    def scripted_answer(self, code: str) -> Response:
        return error_response(code)

    # tokens --------------------------------------------------------------------------------------

    def issue(self, body: object) -> str:
        token = body.get("application_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not hmac.compare_digest(
            token.encode(), self.application_token.encode()
        ):
            raise EmnifyError(codes.INVALID_TOKEN)
        # Whole seconds, as JWT's NumericDate usually is; a token's length then never varies with them.
        now = int(time.time())
        claims = {"iat": now, "exp": now + TOKEN_LIFE_S, "gen": self.generation, "jti": secrets.token_hex(8)}
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        return f"{head}.{payload}.{self._sign(head, payload)}"

    def _valid(self, token: str) -> bool:
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(parts[2], self._sign(parts[0], parts[1])):
            return False
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return False
        return bool(claims.get("gen") == self.generation and time.time() < claims.get("exp", 0))

    def _sign(self, head: str, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{head}.{payload}".encode(), hashlib.sha256).digest())

    # SIMs ----------------------------------------------------------------------------------------

    def add(self, iccid: str, status_id: int = 0, endpoint: bool = True) -> EmnifySim:
        sim = EmnifySim(self._next_sim, iccid, status_id, None, self.clock.now())
        if endpoint:
            sim.endpoint_id, self._next_endpoint = self._next_endpoint, self._next_endpoint + 1
        if status_id in (1, 2):
            sim.activation_date = sim.production_date
        self._next_sim += 1
        self.sims[iccid], self.by_id[sim.id] = sim, sim
        return sim

    def listing(self, params: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of the SIMs the filter matches, and the number of pages."""
        wanted = _filters(params.get("q", ""))
        found = self._matching(wanted)
        per_page = _int(params.get("per_page"), 2000, PER_PAGE_MAX)
        page = _int(params.get("page"), 1, None)
        found.sort(key=lambda sim: sim.id)
        pages = max(1, math.ceil(len(found) / per_page))
        start = (page - 1) * per_page
        return [sim.to_json() for sim in found[start : start + per_page]], pages

    def _matching(self, wanted: dict[str, str]) -> list[EmnifySim]:
        iccid = wanted.get("iccid_with_luhn") or next(
            (known for known in self.sims if known[:-1] == wanted.get("iccid")), None
        )
        if (
            "iccid_with_luhn" in wanted
            and iccid not in self.sims
            and not self.strict
            and is_iccid(iccid or "")
        ):
            self.add(str(iccid))
        sims = list(self.sims.values()) if iccid is None else [self.sims[iccid]] if iccid in self.sims else []
        if "status" in wanted:
            sims = [sim for sim in sims if str(sim.status_id) == wanted["status"]]
        return sims

    def sim(self, sim_id: str) -> EmnifySim:
        found = self.by_id.get(int(sim_id)) if sim_id.isdigit() else None
        if found is None:
            raise EmnifyError(codes.NOT_FOUND)
        return found

    def patch(self, sim_id: str, body: object) -> None:
        sim = self.sim(sim_id)
        status = body.get("status") if isinstance(body, dict) else None
        wanted = status.get("id") if isinstance(status, dict) else None
        if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted not in statuses.NAMES:
            raise EmnifyError(codes.INVALID_REQUEST)
        if wanted == sim.status_id:
            return  # nothing to change: emnify answers 204 all the same
        current, target = statuses.NAMES[sim.status_id], statuses.NAMES[wanted]
        if target == statuses.DELETED or target not in statuses.MOVES[current]:
            raise EmnifyError(codes.INVALID_STATUS_TRANSITION)
        sim.status_id = wanted
        if target == statuses.ACTIVATED and sim.activation_date is None:
            sim.activation_date = self.clock.now()

    def delete(self, sim_id: str) -> None:
        sim = self.sim(sim_id)
        if sim.endpoint_id is not None:
            raise EmnifyError(codes.ENDPOINT_ASSIGNED)
        sim.status_id = statuses.IDS[statuses.DELETED]

    def stats(self, sim_id: str) -> list[dict[str, Any]]:
        sim = self.sim(sim_id)
        seed = int(hashlib.sha256(sim.iccid_with_luhn.encode()).hexdigest()[:8], 16)
        month = self.clock.now().date().replace(day=1)
        last = (month - timedelta(days=1)).replace(day=1)
        return [
            {
                "current_month": _month(sim.id, month, seed % 5000 / 1000, seed % 7),
                "last_month": _month(sim.id, last, seed % 9000 / 1000, seed % 11),
                "last_hour": _month(sim.id, month, seed % 50 / 1000, 0),
            }
        ]

    def send_sms(self, endpoint_id: str, body: object) -> int:
        sim = next((sim for sim in self.sims.values() if str(sim.endpoint_id) == endpoint_id), None)
        if sim is None:
            raise EmnifyError(codes.NOT_FOUND)
        payload = body.get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, str) or not payload or len(payload) > 160:
            raise EmnifyError(codes.INVALID_REQUEST)
        number, self._next_sms = self._next_sms, self._next_sms + 1
        now = _iso(self.clock.now())
        delivered = sim.status_id == statuses.IDS[statuses.ACTIVATED]
        self.sms[(int(endpoint_id), number)] = {
            "id": number,
            "payload": payload,
            "submit_date": now,
            "iccid": sim.iccid_with_luhn[:-1],
            "sim_id": str(sim.id),
            "source_address": "Commissioner",
            "status": {"id": 4 if delivered else 6, "description": "DELIVERED" if delivered else "FAILED"},
            "sms_type": {"id": 1, "description": "MT"},
            "endpoint": {"id": int(endpoint_id)},
        }
        return number

    def message(self, endpoint_id: str, sms_id: str) -> dict[str, Any]:
        key = (int(endpoint_id), int(sms_id)) if endpoint_id.isdigit() and sms_id.isdigit() else None
        if key is None or key not in self.sms:
            raise EmnifyError(codes.NOT_FOUND)
        return self.sms[key]


def _month(sim_id: int, month: Any, megabytes: float, sms: int) -> dict[str, Any]:
    def traffic(volume: float, type_id: int, unit: str) -> dict[str, Any]:
        return {
            "sim_id": sim_id,
            "month": month.isoformat(),
            "volume": volume,
            "volume_tx": round(volume / 3, 3),
            "volume_rx": round(volume - volume / 3, 3),
            "traffic_type_id": type_id,
            "traffic_type": {"id": type_id, "unit": unit},
        }

    return {"data": traffic(megabytes, 5, "MB"), "sms": traffic(float(sms), 6, "SMS")}


def _filters(q: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in q.split(","):
        name, colon, value = part.partition(":")
        if colon and name.strip() in ("iccid", "iccid_with_luhn", "status", "id"):
            found[name.strip()] = value.strip()
        elif part.strip():
            raise EmnifyError(codes.INVALID_REQUEST)
    return found


def _int(value: str | None, default: int, upper: int | None) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1 or (upper is not None and int(value) > upper):
        raise EmnifyError(codes.INVALID_REQUEST)
    return int(value)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def _json_body(request: Request) -> object:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise EmnifyError(codes.INVALID_REQUEST) from None


# -- routes ---------------------------------------------------------------------------------------


def _emnify(request: Request) -> Emnify:
    found: Emnify = request.app.state.emnify
    return found


OrgDep = Annotated[Emnify, Depends(_emnify)]


def _routes() -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["emnify API"])

    @api.post("/authenticate")
    async def authenticate(request: Request, org: OrgDep) -> Response:
        return JSONResponse({"auth_token": org.issue(await _json_body(request))})

    @api.get("/sim")
    async def list_sims(request: Request, org: OrgDep) -> Response:
        page, pages = org.listing(request.query_params)
        return JSONResponse(page, headers={"X-Total-Pages": str(pages), "X-Count-Per-Page": str(len(page))})

    @api.get("/sim/{sim_id}")
    async def get_sim(sim_id: str, org: OrgDep) -> Response:
        return JSONResponse(org.sim(sim_id).to_json())

    @api.patch("/sim/{sim_id}")
    async def patch_sim(sim_id: str, request: Request, org: OrgDep) -> Response:
        org.patch(sim_id, await _json_body(request))
        return Response(status_code=204)

    @api.delete("/sim/{sim_id}")
    async def delete_sim(sim_id: str, org: OrgDep) -> Response:
        org.delete(sim_id)
        return Response(status_code=204)

    @api.get("/sim/{sim_id}/stats")
    async def sim_stats(sim_id: str, org: OrgDep) -> Response:
        return JSONResponse(org.stats(sim_id))

    @api.post("/endpoint/{endpoint_id}/sms")
    async def send_sms(endpoint_id: str, request: Request, org: OrgDep) -> Response:
        number = org.send_sms(endpoint_id, await _json_body(request))
        return JSONResponse(
            {}, status_code=201, headers={"Location": f"{PREFIX}/endpoint/{endpoint_id}/sms/{number}"}
        )

    @api.get("/endpoint/{endpoint_id}/sms/{sms_id}")
    async def get_sms(endpoint_id: str, sms_id: str, org: OrgDep) -> Response:
        return JSONResponse(org.message(endpoint_id, sms_id))

    return api


def _admin_routes(check: Any) -> APIRouter:
    admin = APIRouter(prefix="/_admin/emnify", tags=["admin"], dependencies=[Depends(check)])

    @admin.post("/sims")
    async def add_sims(request: Request, org: OrgDep) -> Response:
        """Add SIMs: a JSON list of {iccid, status (a name, default Issued), endpoint (default true)}."""
        items = await _json_body(request)
        if not isinstance(items, list) or not all(_loadable(item) for item in items):
            return JSONResponse({"detail": "expected a list of {iccid, status, endpoint}"}, status_code=422)
        for item in items:
            org.add(item["iccid"], statuses.IDS[item.get("status", "Issued")], item.get("endpoint", True))
        return JSONResponse({"added": len(items)})

    @admin.get("/sims")
    async def list_sims(org: OrgDep) -> Response:
        return JSONResponse([sim.to_json() for sim in org.sims.values()])

    @admin.post("/expire-tokens")
    async def expire_tokens(org: OrgDep) -> Response:
        """Refuse every token issued so far (as emnify does when they expire)."""
        org.generation += 1
        return JSONResponse({"expired": True})

    add_error_routes(admin, _emnify)
    return admin


def _loadable(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("iccid"), str)
        and is_iccid(item["iccid"])
        and item.get("status", "Issued") in statuses.IDS
        and isinstance(item.get("endpoint", True), bool)
    )


async def _on_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, EmnifyError)
    return error_response(error.token)


def install(app: FastAPI, simulator: Simulator, application_token: str, admin_check: Any) -> None:
    """Serve emnify under /api/v1/ on ``app``, in front of its own gateway."""
    org = Emnify(application_token, simulator.config.strict, simulator.clock)
    app.state.emnify = org
    simulator.on_reset.append(org.scripted_errors.clear)
    app.add_middleware(Gateway, simulator=simulator, door=org)
    app.add_exception_handler(EmnifyError, _on_error)
    app.include_router(_routes())
    app.include_router(_admin_routes(admin_check))
