"""A client for Cisco IoT Control Center's SOAP API (the Terminal and Sms services), built on zeep.

One ``ControlCenterSoap`` per carrier account and process. zeep builds and reads the envelopes from the
official WSDL shipped in ``wsdl/`` (parsed once per process, never fetched); every request carries a
WS-Security UsernameToken (user name and password) and ``messageId``, ``version`` and ``licenseKey`` in its
body. The HTTP exchange itself goes through ``carriers.http`` on httpx, as the REST client's does: the same
deadline, size cap and pacing hook (Control Center counts SOAP and REST calls against one budget).

Like the REST client it makes exactly the calls it is asked for, and every failure is one of
``carriers.errors``: a SOAP fault by its code (``codes.py``), an HTTP or transport failure by its kind.

Reference: shared/reference/control-center-api.md section 7, carrier-platforms.md section 4.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import zeep
import zeep.exceptions
import zeep.helpers
import zeep.wsdl
from lxml import etree
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from carriers import http as carrier_http
from carriers.control_center_soap import codes
from carriers.control_center_soap.statuses import state_of
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from carriers.platform import Edit, SimDetails, SimSummary, SmsDetails, StatusChange, Usage

logger = logging.getLogger(__name__)

WSDL_DIR = Path(__file__).parent / "wsdl"
NAMESPACE = "http://api.jasperwireless.com/ws/schema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
API_VERSION = "1.0"
BATCH = 50  # ICCIDs per GetTerminalDetails call: Control Center's maximum
CHANGE_SIM_STATUS = 3  # EditTerminal changeType values (JasperAPI.xsd TerminalChangeType)
CHANGE_RATE_PLAN = 4

_ID = re.compile(r"[0-9A-Za-z]{1,40}")
_QUOTE_LIMIT = 300
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_BINDINGS = {"Terminal": "TerminalBinding", "Sms": "SmsBinding"}


@dataclass(frozen=True, slots=True)
class _Call:
    """One operation, with what error messages and logs need to describe it."""

    operation: str  # the public method, e.g. "set_status"
    label: str  # for staff, e.g. "set status DEACTIVATED_NAME"
    writes: bool = False  # whether a lost answer leaves the change unknown
    iccid: str | None = None

    @property
    def title(self) -> str:
        where = f" for ICCID {self.iccid}" if self.iccid else ""
        return f"Control Center (SOAP) {self.label}{where}"


class _HttpxTransport(Transport):
    """zeep's transport, sending through ``carriers.http`` (deadline, size cap) after the pacing hook."""

    def __init__(
        self,
        http: httpx.Client,
        before_call: Callable[[], None] | None,
        deadline_s: float,
        max_bytes: int,
    ) -> None:
        super().__init__()
        self._http, self._before_call = http, before_call
        self._deadline_s, self._max_bytes = deadline_s, max_bytes

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> httpx.Response:
        if self._before_call is not None:
            self._before_call()
        response = carrier_http.request(
            self._http,
            "POST",
            address,
            content=message,
            headers=headers,
            deadline_s=self._deadline_s,
            max_bytes=self._max_bytes,
        )
        if not _is_envelope(response.content):
            # zeep would call a cut-off answer or a web page an "unknown fault": say what it is.
            raise _NoEnvelope(response.status_code)
        return response

    def load(self, url: str) -> bytes:
        # The service descriptions ship with us: nothing is ever fetched from the network.
        raise CarrierRejected(f"Control Center (SOAP): will not fetch {url[:80]!r}; the WSDL ships with us")


class _NoEnvelope(Exception):
    """An answer that is not a whole SOAP envelope (empty, cut off, a web page)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)


def _is_envelope(content: bytes) -> bool:
    try:
        root = etree.fromstring(content, _STRICT)
    except etree.XMLSyntaxError:
        return False
    return bool(root.tag == f"{{{SOAP_ENV}}}Envelope")


@cache
def service_description(service: str) -> zeep.wsdl.Document:
    """The parsed WSDL of ``service`` ("Terminal" or "Sms"), once per process (the schema is large)."""
    transport: Any = Transport()  # zeep's annotation asks for the class; it uses an instance
    return zeep.wsdl.Document(str(WSDL_DIR / f"{service}.wsdl"), transport, settings=_settings())


def _settings() -> zeep.Settings:
    # Not strict: a carrier that leaves out an element the schema calls required is still read.
    return zeep.Settings(strict=False, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True)


class ControlCenterSoap:
    """A synchronous client for one Control Center account's SOAP API."""

    def __init__(
        self,
        server_address: str,
        user_name: str,
        password: str,
        license_key: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        before_call: Callable[[], None] | None = None,
        deadline_s: float = 20.0,
        max_answer_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        """Check the account's settings and open the HTTP client.

        ``server_address`` is where the services live, e.g. https://api.jasperwireless.com/ws/service
        (the Terminal service is at .../Terminal, the Sms service at .../Sms). ``before_call`` runs
        before every request is sent (the pool paces the account's calls with it).
        """
        self._base = _checked_server_address(server_address)
        if not user_name.strip() or not password.strip() or not license_key.strip():
            raise CarrierAuthFailed(
                "The carrier user name, password or licence key is empty: fill all three in for the "
                "communicator type."
            )
        self._license_key = license_key
        self._secrets = (password, license_key)
        self._host = httpx.URL(self._base).host
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            # A redirect means a wrong server address; following it could leak credentials.
            follow_redirects=False,
            transport=transport,
        )
        zeep_transport = _HttpxTransport(self._http, before_call, deadline_s, max_answer_bytes)
        token = UsernameToken(user_name, password)
        self._services = {
            name: zeep.Client(
                service_description(name), wsse=token, transport=zeep_transport, settings=_settings()
            ).create_service(f"{{{NAMESPACE}}}{binding}", f"{self._base}/{name}")
            for name, binding in _BINDINGS.items()
        }

    def __repr__(self) -> str:
        return f"<ControlCenterSoap {self._host}>"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- terminals --------------------------------------------------------------------------------

    def get_sim(self, iccid: str) -> SimDetails:
        """Read one SIM (GetTerminalDetails)."""
        call = _Call("get_sim", "get terminal details", iccid=_checked_id(iccid, "get_sim"))
        found = self._details(call, [iccid])
        if iccid not in found:
            raise _not_found(call)
        return found[iccid]

    def get_sims(self, iccids: Sequence[str]) -> dict[str, SimDetails]:
        """Read up to 50 SIMs in one call (GetTerminalDetails); those the carrier does not know are left
        out. SOAP's cheap way to confirm a bulk run."""
        if not 0 < len(iccids) <= BATCH:
            raise ValueError(f"ask for 1 to {BATCH} ICCIDs at once, not {len(iccids)}")
        for iccid in iccids:
            _checked_id(iccid, "get_sims")
        return self._details(_Call("get_sims", f"get terminal details of {len(iccids)} SIMs"), iccids)

    def set_status(self, iccid: str, status: str) -> Edit:
        """Move the SIM to ``status`` (a SOAP name, e.g. ACTIVATED_NAME) with EditTerminal."""
        call = _Call("set_status", f"set status {status}", True, _checked_id(iccid, "set_status"))
        return self._edit(call, CHANGE_SIM_STATUS, status)

    def set_rate_plan(self, iccid: str, rate_plan: str) -> Edit:
        """Move the SIM to another rate plan (EditTerminal, change type 4)."""
        call = _Call("set_rate_plan", f"set rate plan {rate_plan}", True, _checked_id(iccid, "set_rate_plan"))
        return self._edit(call, CHANGE_RATE_PLAN, rate_plan)

    def changed_since(self, since: datetime) -> Iterator[SimSummary]:
        """The SIMs changed since ``since`` (GetModifiedTerminals), read 50 at a time
        (GetTerminalDetails) as the iterator is consumed."""
        if since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        call = _Call("changed_since", "get modified terminals")
        answer = self._send(call, "Terminal", "GetModifiedTerminals", since=since.astimezone(UTC))
        iccids = [str(iccid) for iccid in (_path(answer, "iccids", "iccid") or [])]
        return self._summaries(iccids)

    def get_usage(self, iccid: str, cycle_start: date | None = None) -> Usage:
        """The SIM's month-to-date usage (GetTerminalDetails). SOAP has no other cycle."""
        if cycle_start is not None:
            raise CarrierRejected(
                "Control Center's SOAP API reports the current month's usage only; it cannot read "
                "another billing cycle (the REST API can).",
                operation="get_usage",
                iccid=iccid,
            )
        return self.usage_in(self.get_sim(iccid))

    def usage_in(self, details: SimDetails) -> Usage:
        """The month-to-date usage that GetTerminalDetails answered with ``details``: no call."""
        raw = details.raw
        return Usage(
            iccid=details.iccid,
            data_bytes=_megabytes(raw.get("monthToDateDataUsage")),
            sms_count=_whole(raw.get("monthToDateSMSUsage")),
            voice_seconds=_whole(raw.get("monthToDateVoiceUsage")),
            session_count=None,
            overage_limit_reached=raw.get("overageLimitReached"),
            overage_limit_override=raw.get("overageLimitOverride"),
            raw=raw,
        )

    # -- SMS ---------------------------------------------------------------------------------------

    def send_sms(self, iccid: str, text: str) -> str:
        """Send an SMS to the SIM (SendSMS); its message id."""
        call = _Call("send_sms", "send SMS", True, _checked_id(iccid, "send_sms"))
        answer = self._send(call, "Sms", "SendSMS", sentToIccid=iccid, messageText=text)
        sms_id = _path(answer, "smsMsgId")
        if sms_id is None:
            raise _unexpected(call, "it carries no SMS message id")
        return str(sms_id)

    def get_sms(self, sms_id: str) -> SmsDetails:
        """One SMS message and its delivery status (GetSMSDetails)."""
        call = _Call("get_sms", f"get SMS message {sms_id[:40]}")
        if not sms_id.isdigit() or len(sms_id) > 18:
            raise CarrierRejected(f"{call.title} failed: an SMS message id is a number; nothing was sent.")
        answer = self._send(call, "Sms", "GetSMSDetails", smsMsgIds={"smsMsgId": [int(sms_id)]})
        messages = _path(answer, "smsMessages", "smsMessage") or []
        if not messages:
            raise _fault_error(call, codes.SMS_NOT_FOUND, None, self._secrets)
        return _sms_details(sms_id, _plain(messages[0]))

    # -- account ----------------------------------------------------------------------------------

    def list_rate_plans(self) -> list[str]:
        """Not offered: the Terminal and Sms services have no rate plan listing."""
        raise CarrierRejected(
            "Control Center's SOAP API cannot list rate plans (the REST API can): use a REST "
            "communicator type for rate plan changes.",
            operation="list_rate_plans",
        )

    def check_connection(self) -> None:
        """Check address, credentials and licence key with a cheap call (GetModifiedTerminals)."""
        call = _Call("check_connection", "test connection")
        self._send(call, "Terminal", "GetModifiedTerminals", since=datetime.now(UTC) - timedelta(minutes=1))

    def sim_rma_exchange(self, iccid: str, new_iccid: str) -> str:
        """Replace the SIM by another (SimRmaExchange), where the account allows it; the RMA id."""
        call = _Call(
            "sim_rma_exchange", f"exchange for {new_iccid}", True, _checked_id(iccid, "sim_rma_exchange")
        )
        _checked_id(new_iccid, "sim_rma_exchange")
        answer = self._send(call, "Terminal", "SimRmaExchange", iccid=iccid, exchangeSimIccid=new_iccid)
        return str(_path(answer, "rmaId") or "")

    # -- plumbing ---------------------------------------------------------------------------------

    def _edit(self, call: _Call, change_type: int, target: str) -> Edit:
        answer = self._send(
            call, "Terminal", "EditTerminal", iccid=call.iccid, changeType=change_type, targetValue=target
        )
        stamp = _path(answer, "timestamp")
        carrier_time = stamp if isinstance(stamp, datetime) and stamp.tzinfo is not None else None
        return Edit(StatusChange.APPLIED, carrier_time)

    def _details(self, call: _Call, iccids: Sequence[str]) -> dict[str, SimDetails]:
        answer = self._send(call, "Terminal", "GetTerminalDetails", iccids={"iccid": list(iccids)})
        found: dict[str, SimDetails] = {}
        for terminal in _path(answer, "terminals", "terminal") or []:
            details = _sim_details(call, _plain(terminal))
            found[details.iccid] = details
        return found

    def _summaries(self, iccids: list[str]) -> Iterator[SimSummary]:
        for start in range(0, len(iccids), BATCH):
            batch = iccids[start : start + BATCH]
            call = _Call("changed_since", f"get terminal details of {len(batch)} SIMs")
            found = self._details(call, batch)
            for details in sorted(
                found.values(), key=lambda d: d.date_updated or datetime.min.replace(tzinfo=UTC)
            ):
                yield SimSummary(
                    iccid=details.iccid,
                    status=details.status,
                    rate_plan=details.rate_plan,
                    communication_plan=None,
                    raw=details.raw,
                )

    def _send(self, call: _Call, service: str, operation: str, **fields: Any) -> Any:
        """Make one SOAP call; its answer, or the CarrierError that says why not."""
        method = getattr(self._services[service], operation)
        try:
            answer = method(
                messageId=uuid.uuid4().hex, version=API_VERSION, licenseKey=self._license_key, **fields
            )
        except zeep.exceptions.Fault as fault:
            code = _fault_code(fault)
            logger.info("Control Center SOAP %s for ICCID %s: fault %s", call.operation, call.iccid, code)
            raise _fault_error(call, code, fault.message, self._secrets) from None
        except _NoEnvelope as exc:
            raise _http_error(call, exc.status) from None
        except zeep.exceptions.TransportError as exc:
            raise _http_error(call, exc.status_code) from None
        except httpx.TransportError as exc:
            logger.info(
                "Control Center SOAP %s for ICCID %s: %s", call.operation, call.iccid, type(exc).__name__
            )
            raise CarrierUnavailable(
                _transport_message(call, exc, self._host), operation=call.operation, iccid=call.iccid
            ) from None
        except (zeep.exceptions.ValidationError, zeep.exceptions.XMLParseError, ValueError) as exc:
            raise _unexpected(
                call, f"it does not fit Control Center's schema ({type(exc).__name__})"
            ) from None
        logger.debug("Control Center SOAP %s for ICCID %s: answered", call.operation, call.iccid)
        return answer


# -- error mapping -------------------------------------------------------------------------------

_ERROR_CLASS: dict[codes.Outcome, type[CarrierError]] = {
    codes.Outcome.FINAL: CarrierRejected,
    codes.Outcome.RETRY: CarrierUnavailable,
    codes.Outcome.RATE_LIMITED: CarrierRateLimited,
    codes.Outcome.AUTH: CarrierAuthFailed,
}


def _fault_code(fault: zeep.exceptions.Fault) -> str | None:
    """The fault's Control Center code: its faultstring (a number or a schema token), else an
    errorCode element of its detail."""
    text = (fault.message or "").strip()
    if re.fullmatch(r"[0-9]{3,10}|[A-Z][A-Z_]{2,60}", text):
        return text
    detail = fault.detail
    if detail is not None and not isinstance(detail, bytes | str):
        for element in detail.iter():
            if isinstance(element.tag, str) and element.tag.endswith("errorCode") and element.text:
                return str(element.text).strip()
    return None


def _fault_error(call: _Call, code: str | None, said: str | None, secrets: tuple[str, ...]) -> CarrierError:
    """The one place that turns a SOAP fault into the CarrierError a task acts on."""
    entry = codes.FAULT_CODES.get(code or "")
    kind = _ERROR_CLASS[entry.outcome] if entry else CarrierRejected
    words = entry.carrier_message if entry else _clean(said or "", secrets)
    explanation = codes.explain(code) or (
        "This fault code is not in our catalogue: see Cisco's Control Center SOAP API error codes."
    )
    quoted = f' "{words}"' if words else ""
    message = _redact(f"{call.title} failed: fault {code or 'without a code'}{quoted} {explanation}", secrets)
    return kind(message, error_code=code, operation=call.operation, iccid=call.iccid)


def _http_error(call: _Call, status: int | None) -> CarrierError:
    context: dict[str, Any] = {"http_status": status, "operation": call.operation, "iccid": call.iccid}
    if status is None or status >= 500 or status in (200, 408, 429):
        # 200 without a readable envelope: cut off on the way; 5xx: the carrier's trouble.
        return CarrierUnavailable(
            f"{call.title} failed: HTTP {status} without a readable SOAP answer; the call can be retried.",
            **context,
        )
    return CarrierRejected(
        f"{call.title} failed: HTTP {status} without a SOAP answer. Check the server address: it should "
        "be the carrier's SOAP endpoint, e.g. https://api.jasperwireless.com/ws/service.",
        **context,
    )


def _transport_message(call: _Call, exc: httpx.TransportError, host: str) -> str:
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"{call.title} failed: the carrier timed out ({host} did not answer: {name})."
    else:
        message = f"{call.title} failed: the carrier was unreachable ({host}: {name})."
    if isinstance(exc, _NOT_SENT) or not call.writes:
        return f"{message} Nothing was changed; the call can be retried."
    return f"{message} The change may or may not have been applied: re-read the SIM before trying again."


def _not_found(call: _Call) -> CarrierError:
    return _fault_error(call, codes.DEVICE_NOT_FOUND, None, ())


def _unexpected(call: _Call, why: str) -> CarrierRejected:
    return CarrierRejected(
        f"{call.title} failed: the answer is not what Control Center sends: {why}.",
        operation=call.operation,
        iccid=call.iccid,
    )


def _clean(text: str, secrets: tuple[str, ...]) -> str:
    text = " ".join(_redact(text, secrets).split())
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


# -- checks before sending -----------------------------------------------------------------------


def _checked_server_address(server_address: str) -> str:
    address = server_address.strip().rstrip("/")
    try:
        url = httpx.URL(address)
    except httpx.InvalidURL:
        url = None
    if url is not None and url.userinfo:
        raise CarrierRejected(
            "The carrier server address must not contain a user name or password: put them in the "
            "user name and password fields."
        )
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise CarrierRejected(
            f"The carrier server address {address!r} is not valid: it should look like "
            "https://api.jasperwireless.com/ws/service."
        )
    return address


def _checked_id(value: str, operation: str) -> str:
    if not _ID.fullmatch(value):
        raise CarrierRejected(
            f"Control Center (SOAP) {operation}: the ICCID {value[:60]!r} is not valid (letters and digits "
            "only, at most 40); nothing was sent to the carrier.",
            operation=operation,
        )
    return value


# -- reading answers -----------------------------------------------------------------------------


def _path(answer: Any, *names: str) -> Any:
    """answer.a.b..., None where a step is missing."""
    for name in names:
        if answer is None:
            return None
        try:
            answer = answer[name]
        except (KeyError, TypeError, IndexError, AttributeError):
            return None
    return answer


def _plain(value: Any) -> dict[str, Any]:
    """A zeep object as JSON-ready data (dates as ISO text, decimals as numbers), for ``raw``."""
    data = zeep.helpers.serialize_object(value, dict)
    return data if isinstance(data, dict) else {}


def _sim_details(call: _Call, terminal: dict[str, Any]) -> SimDetails:
    iccid, status = terminal.get("iccid"), terminal.get("status")
    if not isinstance(iccid, str) or not isinstance(status, str) or not status:
        raise _unexpected(call, "a terminal carries no ICCID or status")
    return SimDetails(
        iccid=iccid,
        status=status,
        state=state_of(status),
        rate_plan=terminal.get("ratePlan") or None,
        communication_plan=None,  # the SOAP terminal does not name it
        date_added=_aware(terminal.get("dateAdded")),
        date_updated=_aware(terminal.get("dateModified")),
        date_activated=_aware(terminal.get("dateActivated")),
        raw=_json_ready(terminal),
    )


def _sms_details(sms_id: str, message: dict[str, Any]) -> SmsDetails:
    def text(name: str) -> str | None:
        value = message.get(name)
        return str(value) if value not in (None, "") else None

    return SmsDetails(
        sms_id=text("smsMsgId") or sms_id,
        status=text("status"),
        message_text=text("messageText"),
        sent_to=text("sentToIccid"),
        sent_from=text("sentFrom"),
        sender_login=text("senderLogin"),
        msg_type=text("msgType"),
        date_sent=_aware(message.get("dateSent")),
        date_received=_aware(message.get("dateReceived")),
        date_modified=_aware(message.get("dateModified")),
        raw=_json_ready(message),
    )


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _megabytes(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value * 1024 * 1024)
