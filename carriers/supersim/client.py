"""A small client for the Super SIM API (``/v1``), hosted by Twilio and by KORE alike: one per account
and process. Authentication is HTTP Basic with the Account SID and auth token (Twilio, KORE), or a bearer
token from KORE's OAuth2 client credentials (``oauth.py``), kept by ``carriers.tokens``: renewed a minute
before the expiry KORE stated, and once when a call is refused (401) in the middle of its life.

SIMs are addressed by their SID (``HS…``), found with ``GET /v1/Sims?Iccid=`` (0 or 1 result) and
remembered, since it never changes. A status change (``POST /v1/Sims/{Sid}``, form field ``Status``) is
asynchronous: the carrier answers 202 with the SIM ``scheduled`` and carries it out later, so the edit
is ACCEPTED and the caller's read-back confirms it within its bounded time (else "accepted, not yet
confirmed"). 429, or code 20429, is the concurrency limit: retryable.

Reference: shared/reference/carrier-platforms.md §1 (Super SIM) and carrier-specs/twilio_supersim_v1.json,
kore-supersim.json.
"""

from __future__ import annotations

import base64
import re
import time as clock_time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import httpx

from carriers import answers
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from carriers.platform import Edit, SimDetails, SimSummary, SmsDetails, StatusChange, Usage
from carriers.supersim import codes, oauth, statuses
from carriers.tokens import TokenCache

PAGE_SIZE = 100
API = "/v1"
_SID = re.compile(r"H[SC][0-9a-fA-F]{32}")
_MAX_REMEMBERED = 100_000


@dataclass(frozen=True, slots=True)
class _Call(answers.Call):
    platform = "Super SIM"


class SuperSimApi:
    """One Super SIM account (Twilio or KORE host): Basic auth with Account SID and auth token, or
    (``oauth2``) KORE's OAuth2 client credentials, the client id and client secret."""

    def __init__(
        self,
        server_address: str,
        user: str,
        secret: str,
        *,
        oauth2: bool = False,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        before_call: Callable[[], None] | None = None,
        deadline_s: float = 20.0,
        max_answer_bytes: int = 8 * 1024 * 1024,
        clock: Callable[[], float] = clock_time.time,
    ) -> None:
        """``server_address`` is the host's API base, e.g. https://supersim.twilio.com/v1 or
        https://supersim.api.korewireless.com/v1 (a trailing /v1 is optional). ``user`` and ``secret``
        are the Account SID and auth token, or with ``oauth2`` the client id and client secret."""
        base = answers.base_url(server_address, "https://supersim.twilio.com/v1").removesuffix("/v1")
        if not user.strip() or not secret.strip():
            raise CarrierAuthFailed(
                "The Super SIM client id (user name) or client secret is empty: fill both in for the "
                "communicator type."
                if oauth2
                else "The Super SIM Account SID (user name) or auth token is empty: fill both in for the "
                "communicator type."
            )
        self._host = httpx.URL(base).host
        self._http = httpx.Client(
            base_url=base,
            auth=None if oauth2 else httpx.BasicAuth(user, secret),
            headers={"Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            follow_redirects=False,  # a redirect means a wrong address; following it could leak credentials
            transport=transport,
        )
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        self._credentials = (basic, f"{user}:{secret}", secret)
        self._tokens: TokenCache | None = None
        self._account_is = "the KORE API client's account" if oauth2 else "Account SID"
        if oauth2:
            grant = oauth.ClientCredentials(oauth.token_url(base), user, secret, self._post_token, clock)
            self._tokens = TokenCache(grant.fetch, clock=clock)
        self._link = answers.Link(self._http, self._host, deadline_s, max_answer_bytes, before_call)
        self._sids: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<SuperSimApi {self._host}>"

    def close(self) -> None:
        self._http.close()

    # -- SIMs ---------------------------------------------------------------------------------------

    def get_sim(self, iccid: str) -> SimDetails:
        """Read a SIM: by its SID when known (GET /v1/Sims/{Sid}), else found by ICCID."""
        sid = self._sids.get(iccid)
        if sid is None:
            return _details(self._find(iccid, "get_sim"), iccid)
        return _details(self._object(_Call("get_sim", "get SIM", "GET", f"{API}/Sims/{sid}", iccid)), iccid)

    def set_status(self, iccid: str, status: str) -> Edit:
        """Ask for ``status`` (ready, active, inactive): ACCEPTED while the carrier has it scheduled."""
        if status not in statuses.SETTABLE:
            raise CarrierRejected(
                f"Super SIM set status for ICCID {iccid}: {status!r} cannot be asked for "
                f"({', '.join(statuses.SETTABLE)}); nothing was sent.",
                operation="set_status",
                iccid=iccid,
            )
        sid, current = self._sid_and_status(iccid)
        if current == status:
            return Edit(StatusChange.ALREADY)
        call = _Call(
            "set_status", f"set status {status}", "POST", f"{API}/Sims/{sid}", iccid, form={"Status": status}
        )
        try:
            response = self._send(call)
        except CarrierRejected as refused:
            raise self._under_way(refused, iccid) from refused
        answer = answers.json_or_none(response)
        shown = answers.text(answer.get("status")) if isinstance(answer, dict) else None
        applied = response.status_code == 200 and shown == status
        change = StatusChange.APPLIED if applied else StatusChange.ACCEPTED
        return Edit(change, answers.http_date(response.headers.get("Date", "")))

    def changed_since(self, since: datetime) -> Iterator[SimSummary]:
        """Every SIM of the account, PAGE_SIZE a page: Super SIM cannot filter SIMs by when they
        changed, and its listing is its cheapest way to see what did. ``since`` is checked, not sent."""
        if since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        return self._listing()

    def get_usage(self, iccid: str, cycle_start: date | None = None) -> Usage:
        """Data used since ``cycle_start`` (default: the first of this month), from UsageRecords."""
        sid, _status = self._sid_and_status(iccid)
        start = cycle_start or datetime.now(UTC).date().replace(day=1)
        params: dict[str, str | int] = {
            "Sim": sid,
            "Granularity": "all",
            "StartTime": datetime.combine(start, time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        call = _Call("get_usage", "get usage", "GET", f"{API}/UsageRecords", iccid, params=params)
        records = self._object(call).get("usage_records")
        record = records[0] if isinstance(records, list) and records and isinstance(records[0], dict) else {}
        return Usage(
            iccid=iccid,
            data_bytes=answers.count(record.get("data_total")),
            sms_count=None,
            voice_seconds=None,
            session_count=None,
            overage_limit_reached=None,
            overage_limit_override=None,
            raw=record,
        )

    # -- SMS ----------------------------------------------------------------------------------------

    def send_sms(self, iccid: str, text: str) -> str:
        """Send an SMS Command to the SIM (POST /v1/SmsCommands); its SID."""
        sid, _status = self._sid_and_status(iccid)
        call = _Call(
            "send_sms",
            "send SMS Command",
            "POST",
            f"{API}/SmsCommands",
            iccid,
            form={"Sim": sid, "Payload": text},
        )
        answer = self._object(call)
        command = answers.text(answer.get("sid"))
        if command is None:
            raise _unexpected(call, "it carries no SMS Command SID")
        return command

    def get_sms(self, sms_id: str) -> SmsDetails:
        """One SMS Command and its status (GET /v1/SmsCommands/{Sid})."""
        if not _SID.fullmatch(sms_id):
            raise CarrierRejected(
                f"Super SIM get SMS Command: {sms_id[:60]!r} is not an SMS Command SID; nothing was sent.",
                operation="get_sms",
            )
        answer = self._object(
            _Call("get_sms", f"get SMS Command {sms_id}", "GET", f"{API}/SmsCommands/{sms_id}")
        )
        return SmsDetails(
            sms_id=sms_id,
            status=answers.text(answer.get("status")),
            message_text=answers.text(answer.get("payload")),
            sent_to=answers.text(answer.get("sim_sid")),
            sent_from=None,
            sender_login=None,
            msg_type="MT" if answer.get("direction") == "to_sim" else "MO",
            date_sent=answers.timestamp(answer.get("date_created")),
            date_received=None,
            date_modified=answers.timestamp(answer.get("date_updated")),
            raw=answer,
        )

    def list_rate_plans(self) -> list[str]:
        raise _no_rate_plans("list_rate_plans", None)

    def set_rate_plan(self, iccid: str, rate_plan: str) -> Edit:
        raise _no_rate_plans("set_rate_plan", iccid)

    def check_connection(self) -> None:
        """One page of one SIM: proves address and credentials."""
        self._object(
            _Call("check_connection", "test connection", "GET", f"{API}/Sims", params={"PageSize": 1})
        )

    # -- plumbing -----------------------------------------------------------------------------------

    def _under_way(self, refused: CarrierRejected, iccid: str) -> CarrierError:
        """A refused move is retryable while an earlier change is still scheduled: it lands in moments."""
        if (
            refused.error_code != str(codes.INVALID_TRANSITION)
            or self.get_sim(iccid).status != statuses.SCHEDULED
        ):
            return refused
        return CarrierUnavailable(
            f"{refused.message} An earlier change of this SIM is still under way (scheduled): the call is "
            "retried once it has landed.",
            error_code=refused.error_code,
            http_status=refused.http_status,
            operation=refused.operation,
            iccid=iccid,
        )

    def _sid_and_status(self, iccid: str) -> tuple[str, str | None]:
        sid = self._sids.get(iccid)
        if sid is not None:
            return sid, None
        found = self._find(iccid, "find SIM")
        return str(found["sid"]), answers.text(found.get("status"))

    def _find(self, iccid: str, operation: str) -> dict[str, Any]:
        if not (iccid.isdigit() and 19 <= len(iccid) <= 22):
            raise CarrierRejected(
                f"Super SIM {operation}: the ICCID {iccid[:60]!r} is not 19 to 22 digits; nothing was sent.",
                operation=operation,
                iccid=iccid,
            )
        call = _Call(operation, "find SIM", "GET", f"{API}/Sims", iccid, params={"Iccid": iccid})
        sims = self._object(call).get("sims")
        found = (
            [s for s in sims if isinstance(s, dict) and _SID.fullmatch(str(s.get("sid")))]
            if isinstance(sims, list)
            else []
        )
        if not found:
            raise CarrierRejected(
                f"{call.title} failed: the account has no Super SIM with this ICCID. Check the ICCID, and "
                f"that the SIM is registered to this account ({self._account_is}).",
                http_status=200,
                operation=operation,
                iccid=iccid,
            )
        if len(self._sids) >= _MAX_REMEMBERED:
            self._sids.clear()
        self._sids[iccid] = str(found[0]["sid"])
        return found[0]

    def _listing(self) -> Iterator[SimSummary]:
        params: dict[str, str | int] = {"PageSize": PAGE_SIZE}
        path = f"{API}/Sims"
        for _page in range(100_000):  # bounded: a carrier that pages for ever does not hold us for ever
            answer = self._object(_Call("changed_since", "list SIMs", "GET", path, params=params))
            for item in answer.get("sims") or []:
                summary = _summary(item)
                if summary is not None:
                    yield summary
            following = _next_page(answer, self._host)
            if following is None:
                return
            path, params = following

    def _object(self, call: _Call) -> dict[str, Any]:
        answer = answers.readable(self._send(call), call.title, call.operation, call.iccid)
        if isinstance(answer, dict):
            return answer
        raise _unexpected(call, "it is not a JSON object")

    def _send(self, call: _Call) -> httpx.Response:
        if self._tokens is None:
            response = self._request(call, {})
        else:
            # OAuth2: a valid token; once more with a new one if KORE refuses this one mid-life.
            token = self._tokens.get()
            response = self._request(call, {"Authorization": f"Bearer {token}"})
            if response.status_code == 401:
                token = self._tokens.refused(token)
                response = self._request(call, {"Authorization": f"Bearer {token}"})
        if response.is_success:
            return response
        raise _error(call, response, self._secrets, oauth2=self._tokens is not None)

    def _post_token(self, url: str, form: dict[str, str]) -> httpx.Response:
        """The token API's answer to ``form`` (for ``oauth.ClientCredentials``), whatever its status."""
        return self._request(_Call("authenticate", "token request", "POST", url, form=form), {})

    def _request(self, call: _Call, headers: dict[str, str]) -> httpx.Response:
        return answers.send(self._link, call, headers, self._secrets)

    @property
    def _secrets(self) -> tuple[str, ...]:
        token = self._tokens.current if self._tokens is not None else None
        return (*self._credentials, token) if token else self._credentials


# -- errors ---------------------------------------------------------------------------------------


def _error(
    call: _Call, response: httpx.Response, secrets: tuple[str, ...], oauth2: bool = False
) -> CarrierError:
    """The one place that turns a Super SIM error answer into the CarrierError a task acts on."""
    status = response.status_code
    body = answers.json_or_none(response)
    body = body if isinstance(body, dict) else {}
    code = answers.count(body.get("code"))
    words = answers.text(body.get("message"))
    said = answers.quoted(answers.clean(words, secrets) if words else None)
    what = f"error {code} (HTTP {status})" if code is not None else f"HTTP {status}"
    why = codes.explain(code, status)
    if oauth2 and (status == 401 or code == codes.AUTHENTICATE):
        why = (
            "The carrier refused the bearer token KORE's token API had just issued for the client id: "
            "check that the API client may use Super SIM."
        )
    message = answers.redact(f"{call.title} failed: {what}{said} {why}", secrets)
    context: dict[str, Any] = {
        "error_code": None if code is None else str(code),
        "http_status": status,
        "operation": call.operation,
        "iccid": call.iccid,
    }
    if status == 429 or code == codes.TOO_MANY_REQUESTS:
        return CarrierRateLimited(message, retry_after=answers.retry_after(response), **context)
    if status == 401 or code == codes.AUTHENTICATE:
        return CarrierAuthFailed(message, **context)
    if status >= 500 or status == 408:
        return CarrierUnavailable(message, **context)
    if response.is_redirect:
        return CarrierRejected(f"{call.title} failed: the server address redirects: check it.", **context)
    return CarrierRejected(message, **context)


def _unexpected(call: _Call, why: str) -> CarrierRejected:
    return CarrierRejected(
        f"{call.title} failed: the answer is not what Super SIM sends: {why}. Check the server address: "
        "https://supersim.twilio.com/v1 or https://supersim.api.korewireless.com/v1.",
        operation=call.operation,
        iccid=call.iccid,
    )


def _no_rate_plans(operation: str, iccid: str | None) -> CarrierRejected:
    return CarrierRejected(
        "Super SIM has no rate plans: a SIM's data limits and networks come from its Fleet, which is "
        "changed in the Twilio or KORE console. Nothing was sent.",
        operation=operation,
        iccid=iccid,
    )


# -- reading answers ------------------------------------------------------------------------------


def _details(item: dict[str, Any], iccid: str) -> SimDetails:
    status = answers.text(item.get("status")) or "unknown"
    return SimDetails(
        iccid=answers.text(item.get("iccid")) or iccid,
        status=status,
        state=statuses.state_of(status),
        rate_plan=None,
        communication_plan=answers.text(item.get("fleet_sid")),
        date_added=answers.timestamp(item.get("date_created")),
        date_updated=answers.timestamp(item.get("date_updated")),
        date_activated=None,
        raw=item,
    )


def _summary(item: Any) -> SimSummary | None:
    if not isinstance(item, dict):
        return None
    iccid, status = answers.text(item.get("iccid")), answers.text(item.get("status"))
    if iccid is None or status is None:
        return None
    return SimSummary(iccid, status, None, answers.text(item.get("fleet_sid")), raw=item)


def _next_page(answer: dict[str, Any], host: str) -> tuple[str, dict[str, str | int]] | None:
    """The next page's path and query, from meta.next_page_url; only on our own host (the link must
    not send our credentials elsewhere)."""
    meta = answer.get("meta")
    link = answers.text(meta.get("next_page_url")) if isinstance(meta, dict) else None
    if link is None:
        return None
    try:
        url = httpx.URL(link)
    except httpx.InvalidURL:
        return None
    if url.host != host or not url.path.startswith(f"{API}/"):
        return None
    return url.path, dict(url.params.items())
