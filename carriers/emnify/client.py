"""A small client for emnify's REST API (``/api/v1``), one per carrier account and process.

Authentication: the application token is exchanged for a JWT (``POST /api/v1/authenticate``), kept for
this account's connection by ``carriers.tokens`` and sent as ``Authorization: Bearer``: renewed a minute
before the expiry the JWT states, and once when emnify refuses it (401) in the middle of its life; the
authenticate path has a small limit of its own (100 a 5 minutes per address), so a refused application
token is not offered again for a few seconds. Every request, authenticate included, runs
``before_call`` first (the pool paces the account's calls with it).

SIMs are addressed by emnify's SIM id; the ICCID is found with ``GET /api/v1/sim?q=iccid_with_luhn:``
(our ICCIDs carry their check digit) and its id remembered, since it never changes, so a read-back is
``GET /api/v1/sim/{id}`` (100 calls a second allowed on that path, against 10 for the listing).

Reference: shared/reference/carrier-platforms.md §1 (emnify) and carrier-specs/emnify-openapi.yml.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from carriers import answers
from carriers.emnify import codes, statuses
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from carriers.platform import Edit, SimDetails, SimSummary, SmsDetails, StatusChange, Usage
from carriers.tokens import Token, TokenCache

PAGE_SIZE = 1000  # SIMs per page of the listing (emnify allows up to 2500)
API = "/api/v1"
DEFAULT_TOKEN_LIFE_S = 600.0  # when a JWT states no expiry we can read
BYTES_PER_MB = 1_000_000  # emnify states data volume in MB
_MAX_REMEMBERED = 100_000  # ICCID -> SIM id entries kept per account


@dataclass(frozen=True, slots=True)
class _Call(answers.Call):
    platform = "emnify"


class EmnifyApi:
    """One emnify organisation's API, authenticated by its application token."""

    def __init__(
        self,
        server_address: str,
        application_token: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        before_call: Callable[[], None] | None = None,
        deadline_s: float = 20.0,
        max_answer_bytes: int = 8 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Check the settings and open the HTTP client; no call is made until one is asked for.

        ``server_address`` is emnify's host, e.g. https://cdn.emnify.net (a trailing /api/v1 is taken
        off). A bad address raises CarrierRejected, an empty token CarrierAuthFailed.
        """
        base = answers.base_url(server_address, "https://cdn.emnify.net")
        base = base.removesuffix("/api/v1").removesuffix("/api")
        if not application_token.strip():
            raise CarrierAuthFailed(
                "The emnify application token is empty: enter it for the communicator type."
            )
        self._token = application_token
        self._host = httpx.URL(base).host
        self._http = httpx.Client(
            base_url=base,
            headers={"Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            follow_redirects=False,  # a redirect means a wrong address; following it could leak the token
            transport=transport,
        )
        self._link = answers.Link(self._http, self._host, deadline_s, max_answer_bytes, before_call)
        self._clock = clock
        self._tokens = TokenCache(self._new_jwt, clock=clock)
        self._sim_ids: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"<EmnifyApi {self._host}>"

    def close(self) -> None:
        self._http.close()

    # -- SIMs ---------------------------------------------------------------------------------------

    def get_sim(self, iccid: str) -> SimDetails:
        """Read a SIM: by its id when known (GET /sim/{id}), else found by ICCID."""
        sim_id = self._sim_ids.get(iccid)
        if sim_id is None:
            return _details(self._find(iccid, "get_sim"), iccid)
        call = _Call("get_sim", "get SIM", "GET", f"{API}/sim/{sim_id}", iccid)
        return _details(self._object(call), iccid)

    def set_status(self, iccid: str, status: str) -> Edit:
        """Move the SIM to ``status`` (Activated, Suspended, Factory Test: PATCH; Deleted: DELETE)."""
        if status not in statuses.IDS or status == statuses.ISSUED:
            raise CarrierRejected(
                f"emnify set status for ICCID {iccid}: {status!r} is not a status emnify can be asked for "
                f"({', '.join(statuses.SETTABLE)}); nothing was sent.",
                operation="set_status",
                iccid=iccid,
            )
        sim_id, current = self._id_and_status(iccid)
        if current == status:
            return Edit(StatusChange.ALREADY)
        label = f"set status {status}"
        if status == statuses.DELETED:
            call = _Call("set_status", label, "DELETE", f"{API}/sim/{sim_id}", iccid)
        else:
            body = {"status": {"id": statuses.IDS[status]}}
            call = _Call("set_status", label, "PATCH", f"{API}/sim/{sim_id}", iccid, body=body)
        response = self._send(call)
        return Edit(StatusChange.APPLIED, answers.http_date(response.headers.get("Date", "")))

    def changed_since(self, since: datetime) -> Iterator[SimSummary]:
        """Every SIM of the organisation, PAGE_SIZE a page in id order.

        emnify cannot filter SIMs by the time they changed; its listing of every SIM, a thousand a call,
        is its cheapest way to see what changed. ``since`` is checked, not sent.
        """
        if since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        return self._listing()

    def get_usage(self, iccid: str, cycle_start: date | None = None) -> Usage:
        """The SIM's data and SMS this month, or last month (GET /sim/{id}/stats)."""
        month = _month_key(cycle_start, datetime.now(UTC).date(), iccid)
        sim_id, _status = self._id_and_status(iccid)
        call = _Call("get_usage", "get usage", "GET", f"{API}/sim/{sim_id}/stats", iccid)
        answer = self._json(call)
        stats = answer[0] if isinstance(answer, list) and answer else answer
        if not isinstance(stats, dict):
            raise _unexpected(call, "it carries no statistics")
        return _usage(iccid, stats.get(month), stats)

    # -- SMS ----------------------------------------------------------------------------------------

    def send_sms(self, iccid: str, text: str) -> str:
        """Send an SMS to the SIM's endpoint (POST /endpoint/{id}/sms); its id, "<endpoint>-<sms>"."""
        found = self._find(iccid, "send_sms")
        endpoint = answers.count((found.get("endpoint") or {}).get("id"))
        if endpoint is None:
            entry = codes.ERROR_TOKENS[codes.NO_ENDPOINT]
            raise CarrierRejected(
                f"emnify send SMS for ICCID {iccid} failed: {entry.explanation} Assign it to an endpoint in "
                "the emnify portal.",
                operation="send_sms",
                iccid=iccid,
            )
        call = _Call(
            "send_sms", "send SMS", "POST", f"{API}/endpoint/{endpoint}/sms", iccid, body={"payload": text}
        )
        response = self._send(call)
        sms_id = response.headers.get("Location", "").rstrip("/").rpartition("/")[2]
        if not sms_id.isdigit():
            raise _unexpected(call, "it does not say where the message is (no Location)")
        return f"{endpoint}-{sms_id}"

    def get_sms(self, sms_id: str) -> SmsDetails:
        """One message sent by send_sms, and its delivery status."""
        endpoint, _, number = sms_id.partition("-")
        if not (endpoint.isdigit() and number.isdigit()):
            raise CarrierRejected(
                f"emnify get SMS: {sms_id[:60]!r} is not an emnify message id (endpoint-message); "
                "nothing was sent.",
                operation="get_sms",
            )
        call = _Call("get_sms", f"get SMS {sms_id}", "GET", f"{API}/endpoint/{endpoint}/sms/{number}")
        return _sms(sms_id, self._object(call))

    # -- what emnify does not do per SIM ------------------------------------------------------------

    def list_rate_plans(self) -> list[str]:
        raise _unsupported("list_rate_plans", None)

    def set_rate_plan(self, iccid: str, rate_plan: str) -> Edit:
        raise _unsupported("set_rate_plan", iccid)

    def check_connection(self) -> None:
        """Authenticate with the application token (the cheapest call that proves it)."""
        self._tokens.renew()

    # -- plumbing -----------------------------------------------------------------------------------

    def _id_and_status(self, iccid: str) -> tuple[int, str | None]:
        """The SIM's id, and its status when finding it read it (None when the id was remembered)."""
        sim_id = self._sim_ids.get(iccid)
        if sim_id is not None:
            return sim_id, None
        found = self._find(iccid, "find SIM")
        return int(found["id"]), statuses.name_of(answers.count((found.get("status") or {}).get("id")))

    def _find(self, iccid: str, operation: str) -> dict[str, Any]:
        if not (iccid.isdigit() and 19 <= len(iccid) <= 20):
            raise CarrierRejected(
                f"emnify {operation}: the ICCID {iccid[:60]!r} is not 19 or 20 digits; nothing was sent.",
                operation=operation,
                iccid=iccid,
            )
        params: dict[str, str | int] = {"q": f"iccid_with_luhn:{iccid}"}
        call = _Call(operation, "find SIM", "GET", f"{API}/sim", iccid, params=params)
        answer = self._json(call)
        if not isinstance(answer, list):
            raise _unexpected(call, "it is not a list of SIMs")
        found = [
            item for item in answer if isinstance(item, dict) and answers.count(item.get("id")) is not None
        ]
        if not found:
            raise CarrierRejected(
                f"{call.title} failed: emnify has no SIM with this ICCID in the organisation of the "
                "application token. Check the ICCID, and that the SIM belongs to this organisation.",
                http_status=200,
                operation=operation,
                iccid=iccid,
            )
        if len(self._sim_ids) >= _MAX_REMEMBERED:
            self._sim_ids.clear()
        self._sim_ids[iccid] = int(found[0]["id"])
        return found[0]

    def _listing(self) -> Iterator[SimSummary]:
        page = 1
        while True:
            params: dict[str, str | int] = {"page": page, "per_page": PAGE_SIZE, "sort": "id"}
            call = _Call("changed_since", "list SIMs", "GET", f"{API}/sim", params=params)
            response = self._send(call)
            items = _readable(call, response)
            if not isinstance(items, list):
                raise _unexpected(call, "it is not a list of SIMs")
            for item in items:
                summary = _summary(item)
                if summary is not None:
                    yield summary
            total = answers.count(response.headers.get("X-Total-Pages"))
            if (
                not items
                or (total is not None and page >= total)
                or (total is None and len(items) < PAGE_SIZE)
            ):
                return
            page += 1

    def _object(self, call: _Call) -> dict[str, Any]:
        answer = self._json(call)
        if not isinstance(answer, dict):
            raise _unexpected(call, "it is not a JSON object")
        return answer

    def _json(self, call: _Call) -> Any:
        return _readable(call, self._send(call))

    def _send(self, call: _Call) -> httpx.Response:
        """Send with a valid token; once more with a new token if emnify refuses this one."""
        jwt = self._tokens.get()
        response = self._request(call, {"Authorization": f"Bearer {jwt}"})
        if response.status_code == 401:
            jwt = self._tokens.refused(jwt)
            response = self._request(call, {"Authorization": f"Bearer {jwt}"})
        if response.is_success:
            return response
        raise _error(call, response, self._secrets)

    def _request(self, call: _Call, headers: dict[str, str]) -> httpx.Response:
        return answers.send(self._link, call, headers, self._secrets)

    @property
    def _secrets(self) -> tuple[str, ...]:
        return (self._token, self._tokens.current or "")

    def _new_jwt(self) -> Token:
        """Trade the application token for a JWT (for the token cache)."""
        call = _Call(
            "authenticate",
            "authenticate",
            "POST",
            f"{API}/authenticate",
            body={"application_token": self._token},
        )
        response = self._request(call, {})
        if response.status_code == 401:
            raise _error(call, response, self._secrets, auth=True)
        if not response.is_success:
            raise _error(call, response, self._secrets)
        answer = _readable(call, response)
        jwt = answers.text(answer.get("auth_token")) if isinstance(answer, dict) else None
        if jwt is None:
            raise _unexpected(call, "it carries no auth_token")
        return Token(jwt, _expiry(jwt, self._clock()))


# -- errors ---------------------------------------------------------------------------------------


def _error(
    call: _Call, response: httpx.Response, secrets: tuple[str, ...], auth: bool = False
) -> CarrierError:
    """The one place that turns an emnify error answer into the CarrierError a task acts on."""
    status = response.status_code
    body = answers.json_or_none(response)
    body = body if isinstance(body, dict) else {}
    token = answers.text(body.get("error_token"))
    code = answers.text(body.get("error_code"))
    words = answers.text(body.get("message"))
    said = answers.quoted(answers.clean(words, secrets) if words else None)
    what = f"error {code} {token} (HTTP {status})" if code or token else f"HTTP {status}"
    message = answers.redact(f"{call.title} failed: {what}{said} {codes.explain(token, status)}", secrets)
    context: dict[str, Any] = {
        "error_code": token or code,
        "http_status": status,
        "operation": call.operation,
        "iccid": call.iccid,
    }
    if status == 429:
        return CarrierRateLimited(message, retry_after=answers.retry_after(response), **context)
    if status == 401 or auth:
        return CarrierAuthFailed(message, **context)
    if status >= 500 or status == 408:
        return CarrierUnavailable(message, **context)
    if response.is_redirect:
        return CarrierRejected(f"{call.title} failed: the server address redirects: check it.", **context)
    return CarrierRejected(message, **context)


def _readable(call: _Call, response: httpx.Response) -> Any:
    return answers.readable(response, call.title, call.operation, call.iccid)


def _unexpected(call: _Call, why: str) -> CarrierRejected:
    return CarrierRejected(
        f"{call.title} failed: the answer is not what emnify sends: {why}. Check the server address: it "
        "should be emnify's API host, https://cdn.emnify.net.",
        operation=call.operation,
        iccid=call.iccid,
    )


def _unsupported(operation: str, iccid: str | None) -> CarrierRejected:
    return CarrierRejected(
        "emnify has no rate plans per SIM (its tariffs belong to the organisation and its service profiles "
        "to the endpoint): change them in the emnify portal. Nothing was sent.",
        operation=operation,
        iccid=iccid,
    )


# -- reading answers ------------------------------------------------------------------------------


def _expiry(jwt: str, now: float) -> float:
    """When a JWT expires (its exp claim, read without checking the signature: emnify checks it)."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = answers.number(claims.get("exp")) if isinstance(claims, dict) else None
    except (IndexError, ValueError):
        exp = None
    return exp if exp is not None else now + DEFAULT_TOKEN_LIFE_S


def _status_name(item: dict[str, Any]) -> str:
    status = item.get("status")
    status_id = answers.count(status.get("id")) if isinstance(status, dict) else None
    return statuses.name_of(status_id) or f"status {status_id}"


def _details(item: dict[str, Any], iccid: str) -> SimDetails:
    status = _status_name(item)
    return SimDetails(
        iccid=answers.text(item.get("iccid_with_luhn")) or iccid,
        status=status,
        state=statuses.state_of(status),
        rate_plan=None,
        communication_plan=None,
        date_added=answers.timestamp(item.get("production_date")),
        date_updated=None,
        date_activated=answers.timestamp(item.get("activation_date")),
        raw=item,
    )


def _summary(item: Any) -> SimSummary | None:
    if not isinstance(item, dict):
        return None
    iccid = answers.text(item.get("iccid_with_luhn"))
    if iccid is None:
        return None
    return SimSummary(
        iccid=iccid, status=_status_name(item), rate_plan=None, communication_plan=None, raw=item
    )


def _month_key(cycle_start: date | None, today: date, iccid: str) -> str:
    if cycle_start is None or (cycle_start.year, cycle_start.month) == (today.year, today.month):
        return "current_month"
    last = date(today.year - (today.month == 1), 12 if today.month == 1 else today.month - 1, 1)
    if (cycle_start.year, cycle_start.month) == (last.year, last.month):
        return "last_month"
    raise CarrierRejected(
        f"emnify get usage for ICCID {iccid}: emnify's statistics cover this month and last month only, "
        f"not {cycle_start.isoformat()}; nothing was sent.",
        operation="get_usage",
        iccid=iccid,
    )


def _usage(iccid: str, month: Any, raw: dict[str, Any]) -> Usage:
    month = month if isinstance(month, dict) else {}
    data, sms = month.get("data"), month.get("sms")
    volume = answers.number(data.get("volume")) if isinstance(data, dict) else None
    messages = answers.number(sms.get("volume")) if isinstance(sms, dict) else None
    return Usage(
        iccid=iccid,
        data_bytes=None if volume is None else round(volume * BYTES_PER_MB),
        sms_count=None if messages is None else round(messages),
        voice_seconds=None,
        session_count=None,
        overage_limit_reached=None,
        overage_limit_override=None,
        raw=raw,
    )


def _sms(sms_id: str, item: dict[str, Any]) -> SmsDetails:
    status = item.get("status")
    kind = item.get("sms_type")
    return SmsDetails(
        sms_id=sms_id,
        status=answers.text(status.get("description")) if isinstance(status, dict) else None,
        message_text=answers.text(item.get("payload")),
        sent_to=answers.text(item.get("msisdn")),
        sent_from=answers.text(item.get("source_address")),
        sender_login=None,
        msg_type=answers.text(kind.get("description")) if isinstance(kind, dict) else None,
        date_sent=answers.timestamp(item.get("submit_date")),
        date_received=answers.timestamp(item.get("delivery_date")),
        date_modified=answers.timestamp(item.get("final_date")),
        raw=item,
    )
