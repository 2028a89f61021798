"""SOAP face of the simulator: Control Center's Terminal and Sms services at /ws/service/Terminal and
/ws/service/Sms, over the same SIM store as the REST API (a SIM changed over SOAP reads back over REST).

A call meets what a REST call meets, in the same order: down check, authentication (a WS-Security
UsernameToken with the configured user name and password, then the body's licenseKey), the account's rate
limit (one budget with REST: the limiter is keyed by the user name), latency, random faults, scripted
errors; then the operation. Refusals are SOAP faults whose faultstring is Control Center's fault code
(``carriers/control_center_soap/codes.py``); the SIM rules stay in ``state.Simulator`` and speak REST codes,
turned into their SOAP twins here. Every call goes into the same call log.

Behaviour of our choosing where Control Center documents none: asking for the status a SIM already has is
answered as done (REST answers 10030000 for an activation); ``SimRmaExchange`` is allowed (the new SIM
takes the old one's status, the old one becomes REPLACED) unless the ``rma_exchange_refused`` fault switch
is on: then it is refused with fault 400201 (access violation), the API error Control Center answers a
user whose account may not make the call, as on the many accounts without that entitlement.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from lxml import etree

from carriers.control_center_rest import codes as rest_codes
from carriers.control_center_soap import codes
from carriers.control_center_soap.statuses import from_rest, to_rest
from simulator.state import CallFacts, CarrierError, Simulator

SOAP_ROOT = "/ws/service"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
JWS = "http://api.jasperwireless.com/ws/schema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
BUILD = "commissioner-simulator"
MAX_ICCIDS = 50
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


class SoapFault(Exception):
    """A refusal answered as a SOAP fault with Control Center's fault code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.entry = codes.FAULT_CODES[code]


router = APIRouter(prefix=SOAP_ROOT, tags=["Control Center SOAP API"])


@router.get("/{service}")
async def not_posted(service: str) -> Response:
    # Control Center's SOAP endpoints answer only POST.
    return PlainTextResponse("Method Not Allowed", status_code=405)


@router.post("/{service}")
async def soap_call(service: str, request: Request) -> Response:
    simulator: Simulator = request.app.state.simulator
    clock = simulator.clock
    started, wall = clock.monotonic(), clock.now()
    call = _Exchange(service)
    try:
        return await _answer(simulator, call, await request.body())
    finally:
        facts = CallFacts(
            method="POST",
            path=request.url.path,
            iccid=call.iccid,
            status=call.status,
            error_code=call.error_code,
            user_name=call.user_name,
            duration_ms=(clock.monotonic() - started) * 1000,
            fault=call.fault,
            operation=call.operation,
        )
        simulator.calls.record(started, wall, facts)


class _Exchange:
    """What the call log needs to know about one SOAP call."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.iccid: str | None = None
        self.user_name: str | None = None
        self.status: int | None = None
        self.error_code: str | None = None
        self.fault: str | None = None
        self.operation: str | None = None


async def _answer(simulator: Simulator, call: _Exchange, body: bytes) -> Response:
    faults = simulator.faults
    if faults.down:
        call.status, call.fault = 503, "down"
        return PlainTextResponse("Service Unavailable", status_code=503)
    try:
        request = _request_element(body)
        call.operation = etree.QName(request).localname.removesuffix("Request")
        call.user_name = _authenticate(simulator, body)
        _check_license_key(simulator, request)
        call.iccid = _first_iccid(request)
        if not simulator.admit(call.user_name):
            raise SoapFault(codes.RATE_LIMIT_EXCEEDED)
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        call.fault = simulator.draw_fault()
        if call.fault == "timeout":
            await asyncio.sleep(faults.hang_seconds)
        if call.fault in ("fail", "timeout"):
            raise SoapFault(codes.INTERNAL_ERROR)
        scripted = simulator.scripted_errors.take(call.iccid)
        if scripted is not None:
            call.fault = "error"
            raise SoapFault(scripted if scripted in codes.FAULT_CODES else codes.for_rest(scripted).code)
        answer = _run(simulator, call.service, request)
    except SoapFault as refusal:
        return _fault_response(call, refusal)
    call.status = 200
    if call.fault == "drop":
        await asyncio.sleep(faults.hang_seconds)  # the change is made; its answer never comes
        return PlainTextResponse("Answer dropped", status_code=502)
    if call.fault == "cut":
        return _envelope_response(answer[: len(answer) // 2], 200)
    return _envelope_response(answer, 200)


# --- the front door ------------------------------------------------------------------------------


def _request_element(body: bytes) -> Any:
    try:
        envelope = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise SoapFault(codes.INVALID_EDIT_REQUEST) from None
    found = envelope.find(f"{{{SOAP_ENV}}}Body")
    request = found[0] if found is not None and len(found) else None
    if request is None or etree.QName(request).namespace != JWS:
        raise SoapFault(codes.INVALID_EDIT_REQUEST)
    return request


def _authenticate(simulator: Simulator, body: bytes) -> str:
    """The user name of a valid UsernameToken; a 400200 fault otherwise."""
    envelope = etree.fromstring(body, _PARSER)
    token = envelope.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    user = _text(token, f"{{{WSSE}}}Username") if token is not None else None
    password = _text(token, f"{{{WSSE}}}Password") if token is not None else None
    config = simulator.config
    if user is None or password is None or config.password is None:
        raise SoapFault(codes.SECURITY_VALIDATION)
    user_ok = hmac.compare_digest(user.encode(), config.user_name.encode())
    password_ok = hmac.compare_digest(password.encode(), config.password.encode())
    if not (user_ok and password_ok):
        raise SoapFault(codes.SECURITY_VALIDATION)
    return user


def _check_license_key(simulator: Simulator, request: Any) -> None:
    given, wanted = _field(request, "licenseKey"), simulator.config.license_key
    if given is None or wanted is None or not hmac.compare_digest(given.encode(), wanted.encode()):
        raise SoapFault(codes.INVALID_LICENSE_KEY)


def _first_iccid(request: Any) -> str | None:
    for name in ("iccid", "sentToIccid"):
        found = request.find(f".//{{{JWS}}}{name}")
        if found is not None and found.text:
            return str(found.text.strip())
    return None


# --- operations ----------------------------------------------------------------------------------


def _run(simulator: Simulator, service: str, request: Any) -> bytes:
    name = etree.QName(request).localname.removesuffix("Request")
    operation = _OPERATIONS.get((service, name))
    if operation is None:
        raise SoapFault(codes.INVALID_EDIT_REQUEST)
    try:
        fields = operation(simulator, request)
    except CarrierError as refusal:
        raise SoapFault(codes.for_rest(refusal.code).code) from None
    return _response(name, _field(request, "messageId"), fields)


def _edit_terminal(simulator: Simulator, request: Any) -> list[tuple[str, Any]]:
    iccid, target = _field(request, "iccid") or "", _field(request, "targetValue")
    change_type = _field(request, "changeType")
    if change_type == "3":
        status = to_rest(target or "")
        if target is None or not target.endswith("_NAME"):
            raise SoapFault(codes.SIMSTATUS_INVALID)
        body: dict[str, str] = {"status": status}
    elif change_type == "4":
        body = {"ratePlan": target or ""}
    else:
        raise SoapFault(codes.INVALID_CHANGE_TYPE)
    try:
        simulator.edit_device(iccid, body)
    except CarrierError as refusal:
        if refusal.code != rest_codes.ALREADY_ACTIVATED:
            raise
    return [("iccid", iccid), ("effectiveDate", simulator.clock.now().date().isoformat())]


def _get_terminal_details(simulator: Simulator, request: Any) -> list[tuple[str, Any]]:
    iccids = _fields(request, "iccid")
    if not iccids:
        raise SoapFault(codes.INVALID_EDIT_REQUEST)
    if len(iccids) > MAX_ICCIDS:
        raise SoapFault(codes.TOO_MANY_ENTRIES)
    terminals = []
    for iccid in iccids:
        try:
            terminals.append(("terminal", _terminal(simulator, iccid)))
        except CarrierError as refusal:
            if refusal.code != rest_codes.INVALID_ICCID or len(iccids) == 1:
                raise
    return [("terminals", terminals)]


def _terminal(simulator: Simulator, iccid: str) -> list[tuple[str, Any]]:
    """One TerminalType, every element the schema requires, in its order (a strict client checks both)."""
    details = simulator.device(iccid)
    usage = simulator.usage(iccid, None)
    blank = [(name, "") for name in ("secureSimId", "custom1", "custom2", "custom3")]
    return [
        ("iccid", details["iccid"]),
        ("customer", details.get("customer")),
        ("endConsumerId", details.get("endConsumerId")),
        ("suspended", "N"),
        ("ratePlan", details["ratePlan"]),
        ("status", from_rest(details["status"])),
        ("monthToDateUsage", _megabytes(usage["ctdDataUsage"])),
        ("overageLimitReached", "true" if usage["overageLimitReached"] else "false"),
        ("overageLimitOverride", usage["overageLimitOverride"]),
        ("dateActivated", _iso(details["dateActivated"])),
        ("dateAdded", _iso(details["dateAdded"])),
        ("dateModified", _iso(details["dateUpdated"])),
        ("dateShipped", _iso(details["dateShipped"])),
        ("monthToDateDataUsage", _megabytes(usage["ctdDataUsage"])),
        ("monthToDateSMSUsage", str(usage["ctdSMSUsage"])),
        ("monthToDateVoiceUsage", str(usage["ctdVoiceUsage"])),
        *blank,
        ("rating", []),
        ("secureSimUsernameCopyRule", ""),
        ("secureSimPasswordCopyRule", ""),
        ("accountId", "100001"),
        ("fixedIpAddress", ""),
        ("ctdSessionCount", str(usage["ctdSessionCount"])),
        *[(f"{kind}Custom{number}", "") for kind in ("customer", "operator") for number in range(1, 6)],
        ("imsi", details.get("imsi") or ""),
        ("imei", details.get("imei")),
        ("version", "1"),
        *[(f"custom{number}", "") for number in range(4, 11)],
    ]


def _get_modified_terminals(simulator: Simulator, request: Any) -> list[tuple[str, Any]]:
    since = _field(request, "since")
    if since is None:
        raise SoapFault(codes.INVALID_EDIT_REQUEST)
    iccids: list[tuple[str, Any]] = []
    page = 1
    while True:
        params = {"modifiedSince": since.replace("Z", "+00:00"), "pageNumber": str(page)}
        found = simulator.search(params)
        iccids += [("iccid", device["iccid"]) for device in found["devices"]]
        if found["lastPage"]:
            return [("iccids", iccids)]
        page += 1


def _sim_rma_exchange(simulator: Simulator, request: Any) -> list[tuple[str, Any]]:
    if simulator.faults.rma_exchange_refused:
        raise SoapFault(codes.ACCESS_VIOLATION)
    iccid, new = _field(request, "iccid") or "", _field(request, "exchangeSimIccid") or ""
    return [("rmaId", simulator.rma_exchange(iccid, new))]


def _send_sms(simulator: Simulator, request: Any) -> list[tuple[str, Any]]:
    iccid, text = _field(request, "sentToIccid") or "", _field(request, "messageText")
    if not text:
        raise SoapFault(codes.MESSAGE_TEXT_NULL)
    return [("smsMsgId", str(simulator.send_sms(iccid, {"messageText": text})))]


def _get_sms_details(simulator: Simulator, request: Any) -> list[tuple[str, Any]]:
    messages = []
    for sms_id in _fields(request, "smsMsgId"):
        found = simulator.sms(sms_id, None)
        messages.append(
            (
                "smsMessage",
                [
                    ("smsMsgId", str(found["smsMsgId"])),
                    ("status", found["status"]),
                    ("messageText", found["messageText"]),
                    ("senderLogin", found["senderLogin"]),
                    ("sentToIccid", found["sentTo"]),
                    ("sentFrom", found["sentFrom"]),
                    ("msgType", found["msgType"]),
                    ("dateSent", _iso(found["dateSent"])),
                    ("dateReceived", _iso(found["dateReceived"])),
                    ("dateAdded", _iso(found["dateSent"])),
                    ("dateModified", _iso(found["dateModified"])),
                ],
            )
        )
    return [("smsMessages", messages)]


_Operation = Callable[[Simulator, Any], list[tuple[str, Any]]]
_OPERATIONS: dict[tuple[str, str], _Operation] = {
    ("Terminal", "EditTerminal"): _edit_terminal,
    ("Terminal", "GetTerminalDetails"): _get_terminal_details,
    ("Terminal", "GetModifiedTerminals"): _get_modified_terminals,
    ("Terminal", "SimRmaExchange"): _sim_rma_exchange,
    ("Sms", "SendSMS"): _send_sms,
    ("Sms", "GetSMSDetails"): _get_sms_details,
}


# --- envelopes -----------------------------------------------------------------------------------


def _response(operation: str, message_id: str | None, fields: list[tuple[str, Any]]) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"SOAP-ENV": SOAP_ENV, "ns2": JWS})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    answer = etree.SubElement(body, f"{{{JWS}}}{operation}Response")
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    header = [("correlationId", message_id or ""), ("version", "1.0"), ("build", BUILD), ("timestamp", now)]
    _append(answer, [*header, *fields])
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _append(parent: Any, fields: list[tuple[str, Any]]) -> None:
    for name, value in fields:
        if value is None:
            continue
        child = etree.SubElement(parent, f"{{{JWS}}}{name}")
        if isinstance(value, list):
            _append(child, value)
        else:
            child.text = str(value)


def _fault_response(call: _Exchange, refusal: SoapFault) -> Response:
    entry = refusal.entry
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"SOAP-ENV": SOAP_ENV})
    fault = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "SOAP-ENV:Server" if entry.server_side else "SOAP-ENV:Client"
    etree.SubElement(fault, "faultstring").text = entry.code
    detail = etree.SubElement(fault, "detail")
    etree.SubElement(detail, f"{{{JWS}}}error", nsmap={"ns2": JWS}).text = entry.carrier_message
    call.status, call.error_code = 500, entry.code
    return _envelope_response(bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")), 500)


def _envelope_response(content: bytes, status: int) -> Response:
    return Response(content, status_code=status, media_type="text/xml; charset=utf-8")


# --- reading and writing values ------------------------------------------------------------------


def _text(parent: Any, tag: str) -> str | None:
    found = parent.find(tag)
    return None if found is None or found.text is None else str(found.text)


def _field(request: Any, name: str) -> str | None:
    found = request.find(f"{{{JWS}}}{name}")
    return None if found is None or found.text is None else str(found.text.strip())


def _fields(request: Any, name: str) -> list[str]:
    return [str(found.text.strip()) for found in request.iter(f"{{{JWS}}}{name}") if found.text]


def _iso(rest_date: str | None) -> str | None:
    """A REST date ("2016-06-29 00:21:33.339+0000") as xs:dateTime."""
    if rest_date is None:
        return None
    moment = datetime.strptime(rest_date, "%Y-%m-%d %H:%M:%S.%f%z")
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _megabytes(data_bytes: int) -> str:
    return f"{data_bytes / (1024 * 1024):.3f}"
