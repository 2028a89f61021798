"""The console's overview costs as few carrier calls as the platform allows: on Control Center SOAP one
GetTerminalDetails answers status and usage both (a unit test: a fake carrier on httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from carriers import pool
from carriers.accounts import CarrierAccount
from carriers.control_center_soap.client import ControlCenterSoap
from carriers.control_center_soap.platform import KIND
from features.sim_console import service
from tests.carriers.control_center_soap.test_client import BASE, ICCID, LICENSE, PASSWORD, details, xml

JWS = "http://api.jasperwireless.com/ws/schema"
BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


class Counting:
    """A Control Center that answers every GetTerminalDetails with the SIM, and counts the calls."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = etree.fromstring(request.content).find(BODY)
        assert body is not None
        self.operations.append(etree.QName(body[0]).localname)
        return xml(details(ICCID))


def test_the_soap_overview_reads_the_sim_once(monkeypatch: pytest.MonkeyPatch) -> None:
    carrier = Counting()
    soap = ControlCenterSoap(BASE, "api-user", PASSWORD, LICENSE, transport=httpx.MockTransport(carrier))
    secrets = {"password": PASSWORD, "license_key": LICENSE}
    account = CarrierAccount(1, KIND, BASE, "api-user", PASSWORD, 1000.0, secrets)
    monkeypatch.setattr(pool, "carrier", lambda _account: soap)

    overview = service.overview(service.Located(client_id=1, iccid=ICCID, account=account))

    assert carrier.operations == ["GetTerminalDetailsRequest"]
    assert (overview.device.iccid, overview.device.status) == (ICCID, "ACTIVATED_NAME")
    assert (overview.overage_limit_reached, overview.overage_limit_override) == (False, "DEFAULT")
