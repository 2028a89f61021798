"""The simulator's SOAP API over real HTTP: plain zeep, given only the official WSDL and the simulator's
address, reads and edits a SIM; one SIM store with REST; faults, credentials and switches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import zeep
import zeep.exceptions
from zeep.wsse.username import UsernameToken

from carriers.errors import CarrierAuthFailed
from simulator import SimulatorConfig
from simulator.server import in_thread

WSDL = Path(__file__).parents[2] / "carriers" / "control_center_soap" / "wsdl" / "Terminal.wsdl"
ICCID = "8988216716970004975"
UNKNOWN = "8988216716970004983"
USER, KEY, PASSWORD, LICENSE = "demo", "secret", "soap-password", "soap-licence"
BINDING = "{http://api.jasperwireless.com/ws/schema}TerminalBinding"


@dataclass
class Running:
    base_url: str

    def admin(self, method: str, path: str, json: object = None) -> httpx.Response:
        response = httpx.request(method, f"{self.base_url}/_admin{path}", json=json, auth=(USER, KEY))
        response.raise_for_status()
        return response

    def terminal(self, user: str = USER, password: str = PASSWORD) -> zeep.proxy.ServiceProxy:
        """A stock zeep client: the official WSDL, the simulator's address, nothing of ours."""
        client = zeep.Client(str(WSDL), wsse=UsernameToken(user, password))
        return client.create_service(BINDING, f"{self.base_url}/ws/service/Terminal")


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    sims = [{"iccid": ICCID, "status": "ACTIVATION_READY"}]
    config = SimulatorConfig(USER, KEY, sims=sims, strict=True, password=PASSWORD, license_key=LICENSE)
    with in_thread(config) as base_url:
        yield Running(base_url)


@pytest.fixture
def sim(running: Running) -> Running:
    running.admin("PUT", "/faults", json={"fail_rate": 0, "down": False, "rate_limit": 0})
    running.admin("POST", "/reset")
    return running


def header(license_key: str = LICENSE) -> dict[str, str]:
    return {"messageId": "m-1", "version": "1.0", "licenseKey": license_key}


def test_stock_zeep_reads_and_edits_a_sim_and_rest_sees_it(sim: Running) -> None:
    terminal = sim.terminal()

    before = terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    assert before.correlationId == "m-1"
    assert [(t.iccid, t.status) for t in before.terminals.terminal] == [(ICCID, "ACTIVATION_READY_NAME")]

    edited = terminal.EditTerminal(**header(), iccid=ICCID, changeType=3, targetValue="ACTIVATED_NAME")
    assert edited.iccid == ICCID

    after = terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    assert after.terminals.terminal[0].status == "ACTIVATED_NAME"
    assert after.terminals.terminal[0].dateActivated is not None
    rest = httpx.get(f"{sim.base_url}/rws/api/v1/devices/{ICCID}", auth=(USER, KEY)).json()
    assert rest["status"] == "ACTIVATED"  # one SIM store

    modified = terminal.GetModifiedTerminals(**header(), since=before.timestamp)
    assert ICCID in modified.iccids.iccid


@pytest.mark.parametrize(
    ("password", "license_key", "code"),
    [("wrong", LICENSE, "400200"), (PASSWORD, "wrong", "400100")],
)
def test_credentials_are_checked(sim: Running, password: str, license_key: str, code: str) -> None:
    with pytest.raises(zeep.exceptions.Fault) as refused:
        sim.terminal(password=password).GetTerminalDetails(**header(license_key), iccids={"iccid": [ICCID]})
    assert refused.value.message == code
    calls = sim.admin("GET", "/calls").json()["calls"]
    assert calls[-1]["errorCode"] == code
    assert calls[-1]["path"] == "/ws/service/Terminal"


def test_rules_and_unknown_sims_answer_control_centers_fault_codes(sim: Running) -> None:
    terminal = sim.terminal()
    with pytest.raises(zeep.exceptions.Fault) as unknown:
        terminal.GetTerminalDetails(**header(), iccids={"iccid": [UNKNOWN]})
    assert unknown.value.message == "100100"
    terminal.EditTerminal(**header(), iccid=ICCID, changeType=3, targetValue="ACTIVATED_NAME")
    with pytest.raises(zeep.exceptions.Fault) as back:
        terminal.EditTerminal(**header(), iccid=ICCID, changeType=3, targetValue="INVENTORY_NAME")
    assert back.value.message == "SIMSTATUS_INVALID_TRANSITION"


def test_fault_switches_apply_to_soap(sim: Running) -> None:
    terminal = sim.terminal()
    sim.admin("PUT", "/faults", json={"fail_rate": 1})
    with pytest.raises(zeep.exceptions.Fault) as failed:
        terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    assert failed.value.message == "400300"
    assert failed.value.code == "SOAP-ENV:Server"
    sim.admin("PUT", "/faults", json={"fail_rate": 0, "rate_limit": 0.01})
    terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    # One budget for both APIs: the SOAP call used it up for REST too, and the other way round.
    rest = httpx.get(f"{sim.base_url}/rws/api/v1/devices/{ICCID}", auth=(USER, KEY))
    assert rest.json()["errorCode"] == "40000029"
    with pytest.raises(zeep.exceptions.Fault) as limited:
        terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    assert limited.value.message == "400101"
    sim.admin("POST", "/errors", json=[{"iccid": ICCID, "errorCode": "20000001"}])
    sim.admin("PUT", "/faults", json={"rate_limit": 0})
    with pytest.raises(zeep.exceptions.Fault) as scripted:
        terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    assert scripted.value.message == "100100"


def test_a_scripted_soap_fault_code_is_answered_as_is_and_over_rest_by_its_twin(sim: Running) -> None:
    terminal = sim.terminal()
    sim.admin("POST", "/errors", json=[{"iccid": ICCID, "errorCode": "SIMSTATUS_SUSPENDED"}])
    with pytest.raises(zeep.exceptions.Fault) as scripted:
        terminal.GetTerminalDetails(**header(), iccids={"iccid": [ICCID]})
    assert scripted.value.message == "SIMSTATUS_SUSPENDED"
    sim.admin("POST", "/errors", json=[{"iccid": ICCID, "errorCode": "400300"}])  # twin: 30000001
    rest = httpx.get(f"{sim.base_url}/rws/api/v1/devices/{ICCID}", auth=(USER, KEY))
    assert (rest.status_code, rest.json()["errorCode"]) == (500, "30000001")


def test_an_account_without_the_exchange_is_refused_with_400201(sim: Running) -> None:
    new = "8988216716970004991"
    loaded = [{"iccid": ICCID, "status": "ACTIVATED"}, {"iccid": new, "status": "ACTIVATION_READY"}]
    sim.admin("POST", "/sims", json=loaded)
    terminal = sim.terminal()
    sim.admin("PUT", "/faults", json={"rma_exchange_refused": True})
    try:
        with pytest.raises(zeep.exceptions.Fault) as refused:
            terminal.SimRmaExchange(**header(), iccid=ICCID, exchangeSimIccid=new)
    finally:
        sim.admin("PUT", "/faults", json={"rma_exchange_refused": False})
    assert (refused.value.message, refused.value.code) == ("400201", "SOAP-ENV:Client")
    sims = {item["iccid"]: item["status"] for item in sim.admin("GET", "/sims").json()}
    assert (sims[ICCID], sims[new]) == ("ACTIVATED", "ACTIVATION_READY")  # nothing changed
    [call] = [c for c in sim.admin("GET", "/calls").json()["calls"] if c["errorCode"] == "400201"]
    assert call["operation"] == "SimRmaExchange"

    answer = terminal.SimRmaExchange(**header(), iccid=ICCID, exchangeSimIccid=new)

    assert answer["rmaId"]
    sims = {item["iccid"]: item["status"] for item in sim.admin("GET", "/sims").json()}
    assert (sims[ICCID], sims[new]) == ("REPLACED", "ACTIVATED")


def test_get_is_refused(sim: Running) -> None:
    assert httpx.get(f"{sim.base_url}/ws/service/Terminal").status_code == 405


def test_our_client_does_everything_the_console_needs_over_soap(sim: Running) -> None:
    from carriers.control_center_soap.client import ControlCenterSoap

    client = ControlCenterSoap(f"{sim.base_url}/ws/service", USER, PASSWORD, LICENSE)
    try:
        before = client.get_sim(ICCID)
        assert before.status == "ACTIVATION_READY_NAME"
        edit = client.set_status(ICCID, "ACTIVATED_NAME")
        assert edit.carrier_time is not None
        assert [s.status for s in client.changed_since(edit.carrier_time - timedelta(seconds=1))] == [
            "ACTIVATED_NAME"
        ]
        assert client.get_sims([ICCID, UNKNOWN]).keys() == {ICCID}
        usage = client.get_usage(ICCID)
        assert usage.iccid == ICCID
        assert usage.data_bytes is not None
        sms_id = client.send_sms(ICCID, "status?")
        message = client.get_sms(sms_id)
        assert (message.message_text, message.sent_to, message.status) == ("status?", ICCID, "Delivered")
        client.check_connection()
    finally:
        client.close()
    refused = ControlCenterSoap(f"{sim.base_url}/ws/service", USER, PASSWORD, "wrong")
    try:
        with pytest.raises(CarrierAuthFailed, match="licence key"):
            refused.check_connection()
    finally:
        refused.close()
