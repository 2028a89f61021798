"""A small client for the Cisco IoT Control Center (Jasper) REST API.

One `ControlCenterApi` per carrier account and process. It makes exactly the calls it is asked for: it
does not retry, sleep or pace itself, because Control Center's rate limit is per account and only
the caller (a Celery task with a shared limiter) sees every call made on that account. Every failure
is raised as one of the exceptions in `carriers.errors`; `_carrier_error` alone decides
which.

Reference: shared/reference/control-center-api.md, sections 1-4, 8 and 9.
"""

from __future__ import annotations

import base64
import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Literal, Self

import httpx

from carriers import answers
from carriers import http as carrier_http
from carriers.control_center_rest.codes import (
    ALREADY_ACTIVATED,
    ERROR_CODES,
    INVALID_CREDENTIALS,
    RATE_LIMIT_EXCEEDED,
    explain,
)
from carriers.control_center_rest.statuses import state_of
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from carriers.platform import (
    Edit,
    SimDetails,
    SimSummary,
    SmsDetails,
    StatusChange,
    Usage,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 50  # Control Center's maximum and default page size
ECHO_PARAM = "commissioner"

_PATH_SEGMENT = re.compile(r"[0-9A-Za-z]{1,40}")
_QUOTE_LIMIT = 300  # characters of the carrier's own text quoted in a message

# These failures happen before the request reaches the carrier, so a write cannot have been applied.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


@dataclass(frozen=True, slots=True)
class _Call:
    """One request, with what error messages and logs need to describe it."""

    operation: str  # the public method, e.g. "set_status"
    label: str  # the same for staff, e.g. "set status DEACTIVATED"
    method: str
    path: str
    iccid: str | None = None
    params: Mapping[str, str | int] | None = None
    body: Mapping[str, str] | None = None
    sms_id: str | None = None

    def __post_init__(self) -> None:
        # Both go into the URL path: letters and digits only, so that nothing typed into a form can
        # turn "/devices/{iccid}" into another endpoint. Refused before anything is sent.
        for what, value in (("ICCID", self.iccid), ("SMS message id", self.sms_id)):
            if value is not None and not _PATH_SEGMENT.fullmatch(value):
                raise CarrierRejected(
                    f"Control Center {self.label}: the {what} {value[:60]!r} is not valid (letters "
                    "and digits only, at most 40); nothing was sent to the carrier.",
                    operation=self.operation,
                    iccid=self.iccid,
                )

    @property
    def title(self) -> str:
        """How messages name the call: "Control Center set status DEACTIVATED for ICCID 89..."."""
        if self.iccid:
            return f"Control Center {self.label} for ICCID {self.iccid}"
        if self.sms_id:
            return f"Control Center {self.label} {self.sms_id}"
        return f"Control Center {self.label}"


@dataclass(frozen=True, slots=True)
class _ErrorAnswer:
    """What a failed answer said, as far as it can be read."""

    code: str | None
    carrier_message: str | None
    body: Literal["json", "empty", "other"]
    content_type: str


class ControlCenterApi:
    """A synchronous client for one Control Center account: one HTTP connection pool, Basic auth."""

    def __init__(
        self,
        server_address: str,
        user_name: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        before_call: Callable[[], None] | None = None,
        deadline_s: float = 20.0,
        max_answer_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        """Check the account's settings and open the HTTP client.

        `before_call` runs before every request is sent (the caller paces the account's calls with
        it); an exception from it stops the request. Each answer is read whole within `deadline_s`
        (after `before_call`) and `max_answer_bytes` (carriers/http.py).

        `server_address` is the full API base, e.g. https://restapi1.jasper.com/rws/api/v1. A bad
        address raises `CarrierRejected` and an empty user name or key `CarrierAuthFailed`, as the
        carrier would.
        """
        base_url = _checked_server_address(server_address)
        _check_credentials(user_name, api_key)
        self._secrets = _secrets_of(user_name, api_key)
        self._host = httpx.URL(base_url).host
        self._http = httpx.Client(
            base_url=base_url,
            auth=httpx.BasicAuth(user_name, api_key),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            # A redirect means a wrong server address; following it could leak credentials.
            follow_redirects=False,
            transport=transport,
        )
        self._before_call = before_call
        self._deadline_s, self._max_answer_bytes = deadline_s, max_answer_bytes

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ControlCenterApi {self._host}>"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- devices ----------------------------------------------------------------------------------

    def get_sim(self, iccid: str) -> SimDetails:
        """Read a SIM's details (GET /devices/{iccid})."""
        call = _Call("get_sim", "get device", "GET", f"/devices/{iccid}", iccid)
        return _device_details(call, self._get_json(call))

    def set_status(self, iccid: str, status: str) -> Edit:
        """Change a SIM's status, e.g. to ACTIVATED or DEACTIVATED (PUT /devices/{iccid}).

        Error 10030000 ("already activated") on an activation is success: ALREADY. A 202 is ACCEPTED:
        the change is queued, so re-read the SIM to confirm it.
        """
        call = _edit_call("set_status", f"set status {status}", iccid, {"status": status})
        try:
            return self._edit(call)
        except CarrierError as error:
            # The code only means "nothing to do" when we asked for what it says is already true.
            if error.error_code == ALREADY_ACTIVATED and status == "ACTIVATED":
                return Edit(StatusChange.ALREADY)
            raise

    def set_rate_plan(self, iccid: str, rate_plan: str) -> Edit:
        """Move a SIM to another rate plan (PUT /devices/{iccid})."""
        call = _edit_call("set_rate_plan", f"set rate plan {rate_plan}", iccid, {"ratePlan": rate_plan})
        return self._edit(call)

    def changed_since(self, modified_since: datetime, status: str | None = None) -> Iterator[SimSummary]:
        """SIMs changed since `modified_since` (tz-aware), oldest first, fetched page by page.

        Pages are fetched as the iterator is consumed, so carrier errors are raised while iterating.
        """
        if modified_since.utcoffset() is None:
            raise ValueError("modified_since must be timezone-aware: Control Center needs an offset")
        params: dict[str, str | int] = {
            "modifiedSince": modified_since.isoformat(timespec="seconds"),
            "pageSize": PAGE_SIZE,
        }
        if status is not None:
            params["status"] = status
        call = _Call("changed_since", "search devices", "GET", "/devices", params=params)
        return self._device_summaries(call)

    def get_usage(self, iccid: str, cycle_start: date | None = None) -> Usage:
        """A SIM's usage in the current billing cycle (GET /devices/{iccid}/ctdUsages).

        `cycle_start` is sent as cycleStartDate, YYYY-MM-DD (the form the console shows). Control Center
        documents that parameter for usageInZone only, so an account may answer 10000028
        (unrecognised parameter).
        """
        params = {"cycleStartDate": cycle_start.isoformat()} if cycle_start else None
        call = _Call("get_usage", "get usage", "GET", f"/devices/{iccid}/ctdUsages", iccid, params)
        return _usage(call, self._get_json(call))

    # -- SMS ---------------------------------------------------------------------------------------

    def send_sms(self, iccid: str, text: str) -> str:
        """Send an SMS to a SIM (POST /devices/{iccid}/smsMessages); return its message id."""
        call = _Call(
            "send_sms",
            "send SMS",
            "POST",
            f"/devices/{iccid}/smsMessages",
            iccid,
            body={"messageText": text},
        )
        answer = self._get_json(call)
        # The REST API answers smsMessageId; Cisco's documentation says smsMsgId. Accept both.
        sms_id = answers.text(answer.get("smsMessageId")) or answers.text(answer.get("smsMsgId"))
        if sms_id is None:
            raise _unexpected_answer(call, 200, "it carries no SMS message id")
        return sms_id

    def get_sms(self, sms_id: str) -> SmsDetails:
        """Read an SMS message's details and delivery status (GET /smsMessages/{sms_id})."""
        call = _Call("get_sms", "get SMS message", "GET", f"/smsMessages/{sms_id}", sms_id=sms_id)
        return _sms_details(sms_id, self._get_json(call))

    # -- account ----------------------------------------------------------------------------------

    def list_rate_plans(self) -> list[str]:
        """Names of the account's published rate plans (GET /rateplans, every page)."""
        call = _Call("list_rate_plans", "list rate plans", "GET", "/rateplans", params={})
        return [name for item in self._paged(call, "ratePlans") if (name := _rate_plan_name(item))]

    def check_connection(self) -> None:
        """Check address, credentials and connectivity cheaply; raise a CarrierError if wrong."""
        call = _Call("check_connection", "test connection", "GET", f"/echo/{ECHO_PARAM}")
        self._get_json(call)  # a JSON object proves it is Control Center, not a web page, answering

    # -- plumbing ---------------------------------------------------------------------------------

    def _edit(self, call: _Call) -> Edit:
        response = self._send(call)
        change = StatusChange.ACCEPTED if response.status_code == 202 else StatusChange.APPLIED
        return Edit(change, answers.http_date(response.headers.get("Date", "")))

    def _device_summaries(self, call: _Call) -> Iterator[SimSummary]:
        for item in self._paged(call, "devices"):
            summary = _device_summary(item)
            if summary is None:
                logger.warning("Control Center changed_since: skipped an entry without iccid/status")
                continue
            yield summary

    def _paged(self, call: _Call, items_key: str) -> Iterator[Any]:
        """Every item of a paged list, requesting pageNumber 1, 2, ... until lastPage."""
        page = 1
        while True:
            params = {**(call.params or {}), "pageNumber": page}
            answer = self._get_json(replace(call, params=params))
            items = answer.get(items_key)
            items = items if isinstance(items, list) else []
            yield from items
            # Stop unless the carrier says plainly that more pages follow: no endless loop.
            if _flag(answer.get("lastPage")) is not False or not items:
                return
            page += 1

    def _get_json(self, call: _Call) -> dict[str, Any]:
        """Send the call and return its answer, which must be a JSON object."""
        response = self._send(call)
        answer = answers.json_or_none(response)
        if isinstance(answer, dict):
            return answer
        if _json_or_unlabelled(response):
            # Cut off on the way (a dropped connection, a proxy): the next try is likely whole.
            raise CarrierUnavailable(
                f"{call.title} failed: its answer (HTTP {response.status_code}) was cut off or unreadable; "
                "the call can be retried.",
                http_status=response.status_code,
                operation=call.operation,
                iccid=call.iccid,
            )
        raise _unexpected_answer(call, response.status_code, "it is not a JSON object")

    def _send(self, call: _Call) -> httpx.Response:
        """Send one request; return a 2xx answer or raise the CarrierError that says why not."""
        if self._before_call is not None:
            self._before_call()
        try:
            response = carrier_http.request(
                self._http,
                call.method,
                call.path,
                deadline_s=self._deadline_s,
                max_bytes=self._max_answer_bytes,
                params=call.params,
                json=call.body,
            )
        except httpx.TransportError as exc:
            logger.info("Control Center %s for ICCID %s: %s", call.operation, call.iccid, type(exc).__name__)
            raise _carrier_error(call, exc, self._host, self._secrets) from exc
        logger.debug(
            "Control Center %s for ICCID %s: HTTP %s",
            call.operation,
            call.iccid,
            response.status_code,
        )
        if response.is_success and _error_code(answers.json_or_none(response)) is None:
            return response
        raise _carrier_error(call, response, self._host, self._secrets)


# -- error mapping -------------------------------------------------------------------------------


def _carrier_error(
    call: _Call,
    failure: httpx.Response | httpx.TransportError,
    host: str,
    secrets: tuple[str, ...],
) -> CarrierError:
    """The one place that turns a failed call into the CarrierError a task acts on."""
    context: dict[str, Any] = {"operation": call.operation, "iccid": call.iccid}
    if isinstance(failure, httpx.TransportError):
        return CarrierUnavailable(_transport_message(call, failure, host, secrets), **context)
    status = failure.status_code
    answer = _read_error_answer(failure, secrets)
    kind = _error_class(status, answer.code)
    summary = f"{_answer_summary(status, answer)} {_advice(kind, failure, answer)}"
    message = _redact(f"{call.title} failed: {summary}", secrets)
    context.update(error_code=answer.code, http_status=status)
    if kind is CarrierRateLimited:
        return CarrierRateLimited(message, retry_after=_retry_after(failure), **context)
    return kind(message, **context)


def _error_class(status: int, code: str | None) -> type[CarrierError]:
    """Which exception an answer deserves: its error code first, then its HTTP status."""
    entry = ERROR_CODES.get(code or "")
    if code == RATE_LIMIT_EXCEEDED or status == 429:
        return CarrierRateLimited  # the HTTP status of 40000029 is undocumented: trust the code
    if code == INVALID_CREDENTIALS or status == 401:
        return CarrierAuthFailed
    if status >= 500 or status == 408 or (entry is not None and entry.http_status >= 500):
        return CarrierUnavailable
    return CarrierRejected


def _answer_summary(status: int, answer: _ErrorAnswer) -> str:
    """The answer in one phrase: code, HTTP status and the carrier's own words."""
    quoted = answers.quoted(answer.carrier_message)
    if answer.code is not None:
        return f"error {answer.code} (HTTP {status}){quoted}"
    if answer.body == "json":
        return f"HTTP {status} with no error code{':' if answer.carrier_message else ''}{quoted}"
    if answer.body == "empty":
        return f"HTTP {status} with an empty answer."
    return f"HTTP {status} with a non-JSON answer ({answer.content_type}), not Control Center's."


def _advice(kind: type[CarrierError], response: httpx.Response, answer: _ErrorAnswer) -> str:
    """What the error means and what to do, from the catalogue when the code is in it."""
    explanation = explain(answer.code)
    if explanation is not None:
        return explanation
    if kind is CarrierRateLimited:
        return _with_retry_after(explain(RATE_LIMIT_EXCEEDED) or "", _retry_after(response))
    if kind is CarrierAuthFailed:
        return explain(INVALID_CREDENTIALS) or ""
    if response.is_redirect:
        return f"The server address redirects (to {_location(response)}): check it."
    if kind is CarrierUnavailable:
        return "The carrier is having trouble; this is temporary and the call can be retried."
    if answer.code is not None:
        return "This error code is not in our catalogue: see Cisco's Control Center API error codes."
    return (
        "Check the server address: it should be the carrier's REST host and end in /rws/api/v1 "
        "(a tenant's web-console host answers the API with web pages)."
    )


def _transport_message(call: _Call, exc: httpx.TransportError, host: str, secrets: tuple[str, ...]) -> str:
    """Why no answer came back, and whether a write may have been applied all the same."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"{call.title} failed: the carrier timed out ({host} did not answer: {name})."
    else:
        detail = _clean(str(exc), secrets)
        reason = f"{name}: {detail}" if detail else name
        message = f"{call.title} failed: the carrier was unreachable ({host}: {reason})."
    if isinstance(exc, _NOT_SENT) or call.method == "GET":
        return f"{message} Nothing was changed; the call can be retried."
    if call.method == "POST":
        return f"{message} The SMS may or may not have been sent."
    return f"{message} The change may or may not have been applied: re-read the SIM before trying again."


def _read_error_answer(response: httpx.Response, secrets: tuple[str, ...]) -> _ErrorAnswer:
    """Read {"errorMessage", "errorCode"} leniently: the body may be HTML, empty or Spring's."""
    body = answers.json_or_none(response)
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    if not isinstance(body, dict):
        kind: Literal["json", "empty", "other"] = (
            "empty" if not response.content.strip() else "json" if body is not None else "other"
        )
        return _ErrorAnswer(None, None, kind, content_type)
    words = next(
        (
            body[key]
            for key in ("errorMessage", "message", "error_description", "error")
            if isinstance(body.get(key), str) and body[key].strip()
        ),
        None,
    )
    carrier_message = _clean(words, secrets) if words else None
    return _ErrorAnswer(_error_code(body), carrier_message, "json", content_type)


def _error_code(body: Any) -> str | None:
    """The errorCode of a JSON answer as a string (the carrier sends a string; numbers too)."""
    if not isinstance(body, dict):
        return None
    code = body.get("errorCode")
    if isinstance(code, bool) or not isinstance(code, str | int):
        return None
    return str(code).strip() or None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header in either form; None if absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until(http_date: str) -> float | None:
    when = answers.http_date(http_date)
    return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())


def _with_retry_after(text: str, retry_after: float | None) -> str:
    return text if retry_after is None else f"{text} The carrier asks to wait {retry_after:g} s."


def _location(response: httpx.Response) -> str:
    """Where a redirect points, without user info or query (they may hold credentials)."""
    try:
        target = response.url.join(response.headers.get("Location", ""))
    except httpx.InvalidURL:
        return "an unreadable address"
    return f"{target.scheme}://{target.host}{target.path}"


def _unexpected_answer(call: _Call, status: int, why: str) -> CarrierRejected:
    """A 2xx that is not what Control Center sends; retrying would not change it, so final."""
    return CarrierRejected(
        f"{call.title} failed: the answer (HTTP {status}) is not what Control Center sends: {why}. "
        "Check the server address: it should be the carrier's REST host and end in /rws/api/v1.",
        http_status=status,
        operation=call.operation,
        iccid=call.iccid,
    )


def _clean(text: str, secrets: tuple[str, ...]) -> str:
    """Carrier text fit to quote: one short line, without our credentials should it echo them."""
    text = " ".join(_redact(text, secrets).split())
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


# -- checks before sending -----------------------------------------------------------------------


def _checked_server_address(server_address: str) -> str:
    """The API base without its trailing slash; rejects what cannot be a plain http(s) base URL."""
    address = server_address.strip().rstrip("/")
    try:
        url = httpx.URL(address)
    except httpx.InvalidURL:
        url = None
    if url is not None and url.userinfo:
        # Do not echo it: the address itself holds a password.
        raise CarrierRejected(
            "The carrier server address must not contain a user name or password: put them in the "
            "user name and API key fields."
        )
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise CarrierRejected(
            f"The carrier server address {address!r} is not valid: it should look like "
            "https://restapi1.jasper.com/rws/api/v1."
        )
    return address


def _check_credentials(user_name: str, api_key: str) -> None:
    if not user_name.strip() or not api_key.strip():
        raise CarrierAuthFailed(
            "The carrier user name or API key is empty: fill both in for the communicator type."
        )


def _secrets_of(user_name: str, api_key: str) -> tuple[str, ...]:
    """Every form of the credentials that could leak into quoted text, Basic token included."""
    token = base64.b64encode(f"{user_name}:{api_key}".encode()).decode()
    return (token, f"{user_name}:{api_key}", api_key)


def _edit_call(operation: str, label: str, iccid: str, body: dict[str, str]) -> _Call:
    return _Call(operation, label, "PUT", f"/devices/{iccid}", iccid, body=body)


# -- reading answers -----------------------------------------------------------------------------


def _device_details(call: _Call, answer: dict[str, Any]) -> SimDetails:
    status = answers.text(answer.get("status"))
    if status is None:
        raise _unexpected_answer(call, 200, "it carries no SIM status")
    return SimDetails(
        iccid=answers.text(answer.get("iccid")) or call.iccid or "",
        status=status,
        state=state_of(status),
        rate_plan=answers.text(answer.get("ratePlan")),
        communication_plan=answers.text(answer.get("communicationPlan")),
        date_added=parse_carrier_datetime(answer.get("dateAdded")),
        date_updated=parse_carrier_datetime(answer.get("dateUpdated")),
        date_activated=parse_carrier_datetime(answer.get("dateActivated")),
        raw=answer,
    )


def _device_summary(item: Any) -> SimSummary | None:
    if not isinstance(item, dict):
        return None
    iccid, status = answers.text(item.get("iccid")), answers.text(item.get("status"))
    if iccid is None or status is None:
        return None
    return SimSummary(
        iccid=iccid,
        status=status,
        rate_plan=answers.text(item.get("ratePlan")),
        communication_plan=answers.text(item.get("communicationPlan")),
        raw=item,
    )


def _usage(call: _Call, answer: dict[str, Any]) -> Usage:
    return Usage(
        iccid=answers.text(answer.get("iccid")) or call.iccid or "",
        data_bytes=_count(answer.get("ctdDataUsage")),
        sms_count=_count(answer.get("ctdSMSUsage")),
        voice_seconds=_count(answer.get("ctdVoiceUsage")),
        session_count=_count(answer.get("ctdSessionCount")),
        overage_limit_reached=_flag(answer.get("overageLimitReached")),
        overage_limit_override=answers.text(answer.get("overageLimitOverride")),
        raw=answer,
    )


def _sms_details(sms_id: str, answer: dict[str, Any]) -> SmsDetails:
    return SmsDetails(
        sms_id=answers.text(answer.get("smsMsgId")) or answers.text(answer.get("smsMessageId")) or sms_id,
        status=answers.text(answer.get("status")),
        message_text=answers.text(answer.get("messageText")),
        sent_to=answers.text(answer.get("sentTo")),
        sent_from=answers.text(answer.get("sentFrom")),
        sender_login=answers.text(answer.get("senderLogin")),
        msg_type=answers.text(answer.get("msgType")),
        date_sent=parse_carrier_datetime(answer.get("dateSent")),
        date_received=parse_carrier_datetime(answer.get("dateReceived")),
        date_modified=parse_carrier_datetime(answer.get("dateModified")),
        raw=answer,
    )


def _rate_plan_name(item: Any) -> str | None:
    """A rate plan from the list: a bare name, or an object with a name."""
    if isinstance(item, dict):
        return answers.text(item.get("name")) or answers.text(item.get("ratePlanName"))
    return answers.text(item)


def parse_carrier_datetime(value: Any) -> datetime | None:
    """A carrier timestamp such as "2016-06-29 00:21:33.339+0000" as an aware datetime, else None.

    Also takes ISO 8601 variants. A time without an offset is taken as UTC; anything unreadable is
    None.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _json_or_unlabelled(response: httpx.Response) -> bool:
    """Whether an answer says it is JSON, or says nothing (an empty or cut answer)."""
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type in ("", "application/json") or content_type.endswith("+json")


def _count(value: Any) -> int | None:
    """A whole number sent as a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _flag(value: Any) -> bool | None:
    """A boolean sent as a JSON boolean or as "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
