"""The SOAP client against recorded envelopes shaped by Control Center's WSDL, on httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from lxml import etree

from carriers.control_center_rest import codes as rest_codes
from carriers.control_center_soap import codes
from carriers.control_center_soap.client import ControlCenterSoap
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from carriers.platform import SimState, StatusChange

BASE = "https://cc.example/ws/service"
ICCID = "89011704258018735310"
PASSWORD, LICENSE = "pa55-word", "LIC-KEY-1"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "j": "http://api.jasperwireless.com/ws/schema",
    "w": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
}
HEAD = (
    "<ns2:correlationId>m</ns2:correlationId><ns2:version>1.0</ns2:version><ns2:build>b</ns2:build>"
    "<ns2:timestamp>2026-12-03T10:15:30.000Z</ns2:timestamp>"
)


def envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope '
        'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:ns2="http://api.jasperwireless.com/ws/schema"><SOAP-ENV:Body>'
        f"{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()


def terminal(iccid: str, status: str = "ACTIVATED_NAME") -> str:
    return (
        f"<ns2:terminal><ns2:iccid>{iccid}</ns2:iccid><ns2:suspended>N</ns2:suspended>"
        f"<ns2:ratePlan>Alarm 5MB</ns2:ratePlan><ns2:status>{status}</ns2:status>"
        "<ns2:monthToDateUsage>1.5</ns2:monthToDateUsage><ns2:overageLimitReached>false</ns2:overageLimitReached>"
        "<ns2:overageLimitOverride>DEFAULT</ns2:overageLimitOverride>"
        "<ns2:dateActivated>2026-11-02T08:00:00.000Z</ns2:dateActivated>"
        "<ns2:dateAdded>2026-10-01T08:00:00.000Z</ns2:dateAdded>"
        "<ns2:dateModified>2026-12-03T10:15:29.000Z</ns2:dateModified>"
        "<ns2:monthToDateDataUsage>1.5</ns2:monthToDateDataUsage>"
        "<ns2:monthToDateSMSUsage>3</ns2:monthToDateSMSUsage>"
        "<ns2:monthToDateVoiceUsage>0</ns2:monthToDateVoiceUsage></ns2:terminal>"
    )


def details(*iccids: str) -> bytes:
    terminals = "".join(terminal(iccid) for iccid in iccids)
    return envelope(
        f"<ns2:GetTerminalDetailsResponse>{HEAD}<ns2:terminals>{terminals}</ns2:terminals>"
        "</ns2:GetTerminalDetailsResponse>"
    )


def fault(code: str, said: str = "", server: bool = False) -> bytes:
    side = "Server" if server else "Client"
    return envelope(
        f"<SOAP-ENV:Fault><faultcode>SOAP-ENV:{side}</faultcode><faultstring>{code}</faultstring>"
        f"<detail><ns2:error>{said}</ns2:error></detail></SOAP-ENV:Fault>"
    )


class Recorder:
    """A fake Control Center: answers in turn, and keeps what was sent."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.paced = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def client(self) -> ControlCenterSoap:
        def pace() -> None:
            self.paced += 1

        return ControlCenterSoap(
            BASE, "api-user", PASSWORD, LICENSE, transport=httpx.MockTransport(self), before_call=pace
        )

    def body(self, number: int = 0) -> etree._Element:
        return etree.fromstring(self.requests[number].content)


def xml(content: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=content, headers={"Content-Type": "text/xml; charset=utf-8"})


def test_get_sim_sends_the_wsdls_request_with_token_and_licence_key() -> None:
    carrier = Recorder(xml(details(ICCID)))
    sim = carrier.client().get_sim(ICCID)

    assert (sim.iccid, sim.status, sim.state) == (ICCID, "ACTIVATED_NAME", SimState.ACTIVE)
    assert sim.rate_plan == "Alarm 5MB"
    assert sim.date_updated == datetime(2026, 12, 3, 10, 15, 29, tzinfo=UTC)
    sent = carrier.requests[0]
    assert str(sent.url) == f"{BASE}/Terminal"
    assert (
        sent.headers["SOAPAction"] == '"http://api.jasperwireless.com/ws/service/terminal/GetTerminalDetails"'
    )
    body = carrier.body()
    assert body.findtext("s:Header/w:Security/w:UsernameToken/w:Username", namespaces=NS) == "api-user"
    assert body.findtext("s:Header/w:Security/w:UsernameToken/w:Password", namespaces=NS) == PASSWORD
    request = body.find("s:Body/j:GetTerminalDetailsRequest", NS)
    assert request is not None
    assert request.findtext("j:licenseKey", namespaces=NS) == LICENSE
    assert request.findtext("j:version", namespaces=NS) == "1.0"
    assert request.findtext("j:messageId", namespaces=NS)
    assert [e.text for e in request.iterfind("j:iccids/j:iccid", NS)] == [ICCID]
    assert carrier.paced == 1


def test_each_request_has_its_own_message_id() -> None:
    carrier = Recorder(xml(details(ICCID)), xml(details(ICCID)))
    client = carrier.client()
    client.get_sim(ICCID)
    client.get_sim(ICCID)
    ids = {carrier.body(n).findtext(".//j:messageId", namespaces=NS) for n in (0, 1)}
    assert len(ids) == 2


def test_set_status_edits_the_terminal_and_reports_the_carriers_clock() -> None:
    answer = envelope(
        f"<ns2:EditTerminalResponse>{HEAD}<ns2:iccid>{ICCID}</ns2:iccid>"
        "<ns2:effectiveDate>2026-12-03</ns2:effectiveDate></ns2:EditTerminalResponse>"
    )
    carrier = Recorder(xml(answer))
    edit = carrier.client().set_status(ICCID, "DEACTIVATED_NAME")

    assert edit.change is StatusChange.APPLIED
    assert edit.carrier_time == datetime(2026, 12, 3, 10, 15, 30, tzinfo=UTC)
    request = carrier.body().find("s:Body/j:EditTerminalRequest", NS)
    assert request is not None
    assert request.findtext("j:changeType", namespaces=NS) == "3"
    assert request.findtext("j:targetValue", namespaces=NS) == "DEACTIVATED_NAME"
    assert carrier.requests[0].headers["SOAPAction"].endswith('/terminal/EditTerminal"')


def test_changed_since_reads_fifty_sims_a_call() -> None:
    iccids = [f"8901170425801873{n:04d}" for n in range(60)]
    listed = "".join(f"<ns2:iccid>{iccid}</ns2:iccid>" for iccid in iccids)
    modified = envelope(
        f"<ns2:GetModifiedTerminalsResponse>{HEAD}<ns2:iccids>{listed}</ns2:iccids>"
        "</ns2:GetModifiedTerminalsResponse>"
    )
    carrier = Recorder(xml(modified), xml(details(*iccids[:50])), xml(details(*iccids[50:])))
    found = list(carrier.client().changed_since(datetime(2026, 12, 3, 10, tzinfo=UTC)))

    assert sorted(summary.iccid for summary in found) == iccids
    assert {summary.status for summary in found} == {"ACTIVATED_NAME"}
    since = carrier.body().findtext(".//j:since", namespaces=NS)
    assert since is not None
    assert since.startswith("2026-12-03T10:00:00")
    asked = [len(carrier.body(n).findall(".//j:iccids/j:iccid", NS)) for n in (1, 2)]
    assert asked == [50, 10]
    assert carrier.paced == 3


def test_get_usage_reads_month_to_date_figures() -> None:
    usage = Recorder(xml(details(ICCID))).client().get_usage(ICCID)
    assert (usage.data_bytes, usage.sms_count, usage.voice_seconds) == (1572864, 3, 0)


def test_send_sms_goes_to_the_sms_service() -> None:
    answer = envelope(
        f"<ns2:SendSMSResponse>{HEAD}<ns2:smsMsgId>5000001</ns2:smsMsgId></ns2:SendSMSResponse>"
    )
    carrier = Recorder(xml(answer))
    assert carrier.client().send_sms(ICCID, "ping") == "5000001"
    assert str(carrier.requests[0].url) == f"{BASE}/Sms"
    assert carrier.body().findtext(".//j:sentToIccid", namespaces=NS) == ICCID


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (codes.DEVICE_NOT_FOUND, CarrierRejected, rest_codes.explain(rest_codes.INVALID_ICCID)),
        (codes.RATE_LIMIT_EXCEEDED, CarrierRateLimited, rest_codes.explain(rest_codes.RATE_LIMIT_EXCEEDED)),
        (codes.SECURITY_VALIDATION, CarrierAuthFailed, "user name and password"),
        (codes.INVALID_LICENSE_KEY, CarrierAuthFailed, "licence key"),
        (codes.INTERNAL_ERROR, CarrierUnavailable, rest_codes.explain(rest_codes.UNKNOWN_SERVER_ERROR)),
        (codes.SIMSTATUS_INVALID_TRANSITION, CarrierRejected, "Once a SIM has been activated"),
        ("99999999", CarrierRejected, "not in our catalogue"),
    ],
)
def test_faults_map_to_the_error_tree_with_one_message_per_code(
    code: str, kind: type[CarrierError], words: str | None
) -> None:
    carrier = Recorder(xml(fault(code, server=code == codes.INTERNAL_ERROR), 500))
    with pytest.raises(CarrierError) as raised:
        carrier.client().set_status(ICCID, "ACTIVATED_NAME")
    assert type(raised.value) is kind
    assert raised.value.error_code == code
    assert words is not None
    assert words in raised.value.message
    assert ICCID in raised.value.message


def test_a_fault_echoing_the_credentials_never_quotes_them() -> None:
    carrier = Recorder(xml(fault("Bad token", f"user api-user password {PASSWORD} key {LICENSE}"), 500))
    with pytest.raises(CarrierRejected) as raised:
        carrier.client().get_sim(ICCID)
    assert PASSWORD not in str(raised.value)
    assert LICENSE not in str(raised.value)


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (httpx.Response(503), CarrierUnavailable),
        (xml(details(ICCID)[:200]), CarrierUnavailable),  # cut off on the way
        (
            httpx.Response(404, text="<html>not here</html>", headers={"Content-Type": "text/html"}),
            CarrierRejected,
        ),
    ],
)
def test_answers_without_a_soap_envelope(answer: httpx.Response, kind: type[CarrierError]) -> None:
    with pytest.raises(CarrierError) as raised:
        Recorder(answer).client().get_sim(ICCID)
    assert type(raised.value) is kind


def test_a_lost_write_says_it_may_have_been_applied() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(CarrierUnavailable, match="may or may not have been applied"):
        Recorder(timeout).client().set_status(ICCID, "ACTIVATED_NAME")
    with pytest.raises(CarrierUnavailable, match="Nothing was changed"):
        Recorder(refused).client().set_status(ICCID, "ACTIVATED_NAME")


def test_what_soap_cannot_do_is_said_and_nothing_is_sent() -> None:
    carrier = Recorder()
    client = carrier.client()
    with pytest.raises(CarrierRejected, match="cannot list rate plans"):
        client.list_rate_plans()
    with pytest.raises(CarrierRejected, match="current month"):
        client.get_usage(ICCID, datetime(2026, 11, 1).date())
    with pytest.raises(CarrierRejected, match="not valid"):
        client.get_sim("89/../x")
    with pytest.raises(CarrierAuthFailed):
        ControlCenterSoap(BASE, "api-user", PASSWORD, " ")
    assert carrier.requests == []


def test_every_code_has_words_for_staff() -> None:
    for entry in codes.FAULT_CODES.values():
        assert codes.explain(entry.code), entry.code
        assert entry.same_as is None or entry.same_as in rest_codes.ERROR_CODES
