"""Super SIM's REST API, simulated under ``/v1/`` (``--account-sid S --auth-token T``).

What a client written for twilio_supersim_v1.json (or KORE's copy) meets: HTTP Basic with the Account
SID and auth token, or (KORE, ``--kore-client-id I --kore-client-secret S``) a bearer token from KORE's
token API, served at ``POST /api-services/v1/auth/token`` as kore-token.json describes it: client
credentials checked (401 ``invalid_client``), tokens living TOKEN_LIFE_S (``expires_in``), an expired or
unknown token refused on ``/v1/`` with 401 / 20003, and ``POST /_admin/supersim/expire-tokens`` to expire
every token issued so far. SIMs listed (``Iccid``, ``Status``, ``PageSize``/``Page`` with a ``meta`` block of
page links), read and updated by form (``Status`` ready, active, inactive) under Super SIM's rules; an
update is asynchronous: answered 202 with the SIM ``scheduled``, done ``apply_delay_ms`` later (at least
ASYNC_DELAY_S). UsageRecords, SmsCommands. Errors are ``{"code", "message", "more_info", "status"}``;
the shared rate_limit fault answers 429 / 20429.

A lenient simulator makes a ``new`` SIM for an ICCID it is asked for and does not know; a strict one
knows only the SIMs added at ``POST /_admin/supersim/sims``. ``POST /_admin/supersim/traffic`` gives a
SIM its first traffic: a ``ready`` SIM turns ``active`` by itself, as the real one does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers

from carriers.supersim import codes, statuses
from simulator.gateway import Gateway, add_error_routes
from simulator.state import CodeCatalogue, ScriptedErrors, Simulator, is_iccid

PREFIX = "/v1"
TOKEN_PATH = "/api-services/v1/auth/token"  # noqa: S105 (a path; on api.korewireless.com at KORE)
TOKEN_LIFE_S = 3600  # KORE's example expires_in
ASYNC_DELAY_S = 0.2  # an update is scheduled at least this long
PAGE_MAX = 1000
_UPDATES = frozenset(statuses.SETTABLE)


class SuperSimError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _error_code(code: object) -> str | None:
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    known = isinstance(code, int) and not isinstance(code, bool) and code in codes.ERROR_CODES
    return str(code) if known else None


# A scripted error names a Twilio error code, as a number (as Twilio's answers give it) or its digits.
SCRIPTABLE = CodeCatalogue(
    _error_code, f"one of Super SIM's error codes ({', '.join(map(str, codes.ERROR_CODES))})"
)


def error_response(code: int) -> Response:
    entry = codes.ERROR_CODES[code]
    body = {
        "code": code,
        "message": entry.carrier_message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": entry.http_status,
    }
    return JSONResponse(body, status_code=entry.http_status)


def _sid(prefix: str, seed: str) -> str:
    return prefix + hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()


@dataclass
class SuperSimCard:
    sid: str
    iccid: str
    status: str
    created: datetime
    updated: datetime
    target: str | None = None  # the status a scheduled update lands on
    due: datetime | None = None


class SuperSim:
    """One simulated Super SIM account."""

    prefix = PREFIX + "/"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        simulator: Simulator,
        client: tuple[str, str] | None = None,
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.client = client  # KORE's OAuth2 client id and secret, if served
        self.tokens: dict[str, datetime] = {}  # access token -> when it expires
        self.tokens_issued = 0
        self.simulator = simulator
        self.sims: dict[str, SuperSimCard] = {}
        self.by_sid: dict[str, SuperSimCard] = {}
        self.commands: dict[str, dict[str, Any]] = {}
        self.scripted_errors = ScriptedErrors(SCRIPTABLE)

    @property
    def now(self) -> datetime:
        return self.simulator.clock.now()

    # front door ----------------------------------------------------------------------------------

    def authenticate(self, path: str, headers: Headers) -> str | Response:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            expires = self.tokens.get(token.strip())
            if expires is None or expires <= self.now:
                return error_response(codes.AUTHENTICATE)
            return self.account_sid
        try:
            user, _, secret = base64.b64decode(token.strip(), validate=True).decode().partition(":")
        except (binascii.Error, ValueError):
            return error_response(codes.AUTHENTICATE)
        sid_ok = hmac.compare_digest(user.encode(), self.account_sid.encode())
        token_ok = hmac.compare_digest(secret.encode(), self.auth_token.encode())
        if scheme.lower() != "basic" or not (sid_ok and token_ok):
            return error_response(codes.AUTHENTICATE)
        return user

    def admit(self, account: str, method: str, path: str) -> Response | None:
        return None  # Super SIM limits concurrency, not a rate: the shared rate_limit fault stands for it

    def too_many(self) -> Response:
        return error_response(codes.TOO_MANY_REQUESTS)

    def server_error(self) -> Response:
        return error_response(codes.INTERNAL_ERROR)

    def error_code(self, body: Any) -> str | None:
        code = body.get("code") if isinstance(body, dict) else None
        return str(code) if isinstance(code, int) else None

    def iccid_of(self, path: str) -> str | None:
        sid = path.removeprefix(f"{PREFIX}/Sims/").split("/")[0] if path.startswith(f"{PREFIX}/Sims/") else ""
        card = self.by_sid.get(sid)
        return card.iccid if card else None

    def scripted_answer(self, code: str) -> Response:
        return error_response(int(code))

    # KORE's token API -----------------------------------------------------------------------------

    def issue(self, form: Any) -> Response:
        """Client credentials for a bearer token, or KORE's refusal."""
        if form.get("grant_type") != "client_credentials":
            body: dict[str, Any] = {"code": 400, "message": "unsupported_grant_type"}
            return JSONResponse(body, status_code=400)
        client_id, client_secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        known_id, known_secret = self.client or ("", "")
        id_ok = hmac.compare_digest(client_id.encode(), known_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), known_secret.encode())
        if self.client is None or not (id_ok and secret_ok):
            body = {
                "error": "invalid_client",
                "error_description": "Invalid client or Invalid client credentials",
            }
            return JSONResponse(body, status_code=401)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.now + timedelta(seconds=TOKEN_LIFE_S)
        self.tokens_issued += 1
        body = {"access_token": token, "expires_in": TOKEN_LIFE_S, "token_type": "Bearer", "scope": ""}
        return JSONResponse(body)

    # SIMs ----------------------------------------------------------------------------------------

    def add(self, iccid: str, status: str = statuses.NEW) -> SuperSimCard:
        card = SuperSimCard(_sid("HS", iccid), iccid, status, self.now, self.now)
        self.sims[iccid], self.by_sid[card.sid] = card, card
        return card

    def to_json(self, card: SuperSimCard, base: str) -> dict[str, Any]:
        self._settle(card)
        return {
            "sid": card.sid,
            "unique_name": None,
            "account_sid": self.account_sid,
            "iccid": card.iccid,
            "status": card.status,
            "fleet_sid": _sid("HF", self.account_sid),
            "date_created": _iso(card.created),
            "date_updated": _iso(card.updated),
            "url": f"{base}{PREFIX}/Sims/{card.sid}",
            "links": {
                "billing_periods": f"{base}{PREFIX}/Sims/{card.sid}/BillingPeriods",
                "sim_ip_addresses": f"{base}{PREFIX}/Sims/{card.sid}/IpAddresses",
            },
        }

    def _settle(self, card: SuperSimCard) -> None:
        if card.target is not None and card.due is not None and card.due <= self.now:
            card.status, card.updated = card.target, card.due
            card.target, card.due = None, None

    def listing(self, params: Any, base: str) -> dict[str, Any]:
        iccid, status = params.get("Iccid"), params.get("Status")
        if (
            iccid is not None
            and iccid not in self.sims
            and not self.simulator.config.strict
            and is_iccid(iccid)
        ):
            self.add(iccid)
        cards = sorted(
            (c for c in self.sims.values() if iccid is None or c.iccid == iccid), key=lambda c: c.sid
        )
        found = [self.to_json(card, base) for card in cards]
        if status is not None:
            found = [sim for sim in found if sim["status"] == status]
        size, page = (
            _number(params.get("PageSize"), 50, PAGE_MAX),
            _number(params.get("Page"), 0, None, low=0),
        )
        chunk = found[page * size : (page + 1) * size]
        url = f"{base}{PREFIX}/Sims?PageSize={size}&Page={{}}"
        more = (page + 1) * size < len(found)
        meta = {
            "first_page_url": url.format(0),
            "key": "sims",
            "next_page_url": url.format(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_url": url.format(page - 1) if page else None,
            "url": url.format(page),
        }
        return {"sims": chunk, "meta": meta}

    def card(self, sid: str) -> SuperSimCard:
        card = self.by_sid.get(sid)
        if card is None:
            raise SuperSimError(codes.NOT_FOUND)
        self._settle(card)
        return card

    def update(self, sid: str, form: Any) -> bool:
        """Ask for a status; True if scheduled (202), False if there was nothing to do (200)."""
        card = self.card(sid)
        wanted = form.get("Status")
        if wanted is None or wanted not in _UPDATES:
            raise SuperSimError(codes.INVALID_PARAMETER)
        if card.status == wanted:
            return False
        if card.status == statuses.SCHEDULED or (wanted == statuses.READY and card.status != statuses.NEW):
            raise SuperSimError(codes.INVALID_TRANSITION)
        delay = max(ASYNC_DELAY_S, self.simulator.faults.apply_delay_ms / 1000)
        card.status, card.target, card.due = statuses.SCHEDULED, wanted, self.now + timedelta(seconds=delay)
        card.updated = self.now
        return True

    def traffic(self, iccid: str) -> None:
        card = self.sims.get(iccid)
        if card is None:
            raise SuperSimError(codes.NOT_FOUND)
        self._settle(card)
        if card.status == statuses.READY:
            card.status, card.updated = statuses.ACTIVE, self.now

    def usage(self, params: Any) -> dict[str, Any]:
        card = self.card(params.get("Sim", ""))
        seed = int(hashlib.sha256(card.iccid.encode()).hexdigest()[:8], 16)
        start = params.get("StartTime") or _iso(
            self.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        )
        upload, download = seed % 300_000, seed % 900_000
        record = {
            "account_sid": self.account_sid,
            "sim_sid": card.sid,
            "network_sid": None,
            "fleet_sid": None,
            "iso_country": None,
            "period": {"start_time": start, "end_time": _iso(self.now)},
            "data_upload": upload,
            "data_download": download,
            "data_total": upload + download,
            "data_total_billed": round((upload + download) / 1_000_000, 3),
            "billed_unit": "USD",
        }
        return {"usage_records": [record], "meta": _single_meta("usage_records")}

    def command(self, form: Any, base: str) -> dict[str, Any]:
        sim, payload = form.get("Sim", ""), form.get("Payload")
        card = self.by_sid.get(sim) or next((c for c in self.sims.values() if c.iccid == sim), None)
        if card is None:
            raise SuperSimError(codes.NOT_FOUND)
        if not isinstance(payload, str) or not payload or len(payload) > 160:
            raise SuperSimError(codes.INVALID_PARAMETER)
        sid = _sid("HC", f"{card.sid}{len(self.commands)}")
        delivered = self.to_json(card, base)["status"] in (statuses.READY, statuses.ACTIVE)
        self.commands[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "sim_sid": card.sid,
            "payload": payload,
            "status": "delivered" if delivered else "failed",
            "direction": "to_sim",
            "date_created": _iso(self.now),
            "date_updated": _iso(self.now),
            "url": f"{base}{PREFIX}/SmsCommands/{sid}",
        }
        return self.commands[sid]


def _single_meta(key: str) -> dict[str, Any]:
    return {"key": key, "page": 0, "page_size": 50, "next_page_url": None, "previous_page_url": None}


def _number(value: str | None, default: int, upper: int | None, low: int = 1) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < low or (upper is not None and int(value) > upper):
        raise SuperSimError(codes.INVALID_PARAMETER)
    return int(value)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- routes ---------------------------------------------------------------------------------------


def _account(request: Request) -> SuperSim:
    found: SuperSim = request.app.state.supersim
    return found


AccountDep = Annotated[SuperSim, Depends(_account)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _routes() -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["Super SIM API"])

    @api.get("/Sims")
    async def list_sims(request: Request, account: AccountDep) -> Response:
        return JSONResponse(account.listing(request.query_params, _base(request)))

    @api.get("/Sims/{sid}")
    async def get_sim(sid: str, request: Request, account: AccountDep) -> Response:
        return JSONResponse(account.to_json(account.card(sid), _base(request)))

    @api.post("/Sims/{sid}")
    async def update_sim(sid: str, request: Request, account: AccountDep) -> Response:
        scheduled = account.update(sid, await request.form())
        body = account.to_json(account.card(sid), _base(request))
        return JSONResponse(body, status_code=202 if scheduled else 200)

    @api.get("/UsageRecords")
    async def usage_records(request: Request, account: AccountDep) -> Response:
        return JSONResponse(account.usage(request.query_params))

    @api.post("/SmsCommands")
    async def create_command(request: Request, account: AccountDep) -> Response:
        return JSONResponse(account.command(await request.form(), _base(request)), status_code=201)

    @api.get("/SmsCommands/{sid}")
    async def get_command(sid: str, account: AccountDep) -> Response:
        if sid not in account.commands:
            raise SuperSimError(codes.NOT_FOUND)
        return JSONResponse(account.commands[sid])

    return api


def _admin_routes(check: Any) -> APIRouter:
    admin = APIRouter(prefix="/_admin/supersim", tags=["admin"], dependencies=[Depends(check)])

    @admin.post("/sims")
    async def add_sims(request: Request, account: AccountDep) -> Response:
        """Add SIMs: a JSON list of {iccid, status (default new)}."""
        items = await request.json()
        if not isinstance(items, list) or not all(_loadable(item) for item in items):
            return JSONResponse({"detail": "expected a list of {iccid, status}"}, status_code=422)
        for item in items:
            account.add(item["iccid"], item.get("status", statuses.NEW))
        return JSONResponse({"added": len(items)})

    @admin.get("/sims")
    async def list_sims(request: Request, account: AccountDep) -> Response:
        return JSONResponse([account.to_json(card, _base(request)) for card in account.sims.values()])

    @admin.post("/expire-tokens")
    async def expire_tokens(account: AccountDep) -> Response:
        """Refuse every OAuth2 token issued so far (as KORE does once they expire)."""
        account.tokens.clear()
        return JSONResponse({"expired": True})

    @admin.get("/tokens")
    async def tokens(account: AccountDep) -> Response:
        """How many OAuth2 tokens were issued, and how many are held."""
        return JSONResponse({"issued": account.tokens_issued, "held": len(account.tokens)})

    @admin.post("/traffic")
    async def traffic(request: Request, account: AccountDep) -> Response:
        """A SIM's first traffic ({"iccid"}): ready turns active by itself."""
        body = await request.json()
        account.traffic(str(body.get("iccid", "")) if isinstance(body, dict) else "")
        return JSONResponse({"ok": True})

    add_error_routes(admin, _account)
    return admin


def _loadable(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("iccid"), str)
        and is_iccid(item["iccid"])
        and item.get("status", statuses.NEW) in (statuses.NEW, *statuses.SETTABLE)
    )


async def _on_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, SuperSimError)
    return error_response(error.code)


def _token_routes() -> APIRouter:
    token_api = APIRouter(tags=["KORE token API"])

    @token_api.post(TOKEN_PATH)
    async def token(request: Request, account: AccountDep) -> Response:
        return account.issue(await request.form())

    return token_api


def install(
    app: FastAPI,
    simulator: Simulator,
    account_sid: str,
    auth_token: str,
    admin_check: Any,
    client: tuple[str, str] | None = None,
) -> None:
    """Serve Super SIM under /v1/ on ``app``, in front of its own gateway; with ``client`` (KORE's
    OAuth2 client id and secret), KORE's token API too."""
    account = SuperSim(account_sid, auth_token, simulator, client)
    app.state.supersim = account
    simulator.on_reset.append(account.scripted_errors.clear)
    if client is not None:
        app.include_router(_token_routes())
    app.add_middleware(Gateway, simulator=simulator, door=account)
    app.add_exception_handler(SuperSimError, _on_error)
    app.include_router(_routes())
    app.include_router(_admin_routes(admin_check))
