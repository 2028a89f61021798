"""Unit tests of the Super SIM client against a fake host (httpx.MockTransport)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from carriers.errors import CarrierAuthFailed, CarrierRateLimited, CarrierRejected, CarrierUnavailable
from carriers.platform import SimState, StatusChange
from carriers.supersim import PLATFORM
from carriers.supersim.client import SuperSimApi

SID, TOKEN = "AC" + "0" * 32, "auth-token-abc123"
ICCID = "8988216716970004975"
HS = "HS" + "a" * 32


def sim(status: str) -> dict[str, object]:
    return {"sid": HS, "iccid": ICCID, "status": status}


Handler = Callable[[httpx.Request], httpx.Response]


def api(handler: Handler, seen: list[httpx.Request]) -> SuperSimApi:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return SuperSimApi("https://supersim.twilio.com/v1", SID, TOKEN, transport=httpx.MockTransport(record))


def test_a_status_change_is_accepted_while_scheduled_and_the_sid_is_remembered() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/v1/Sims":
            return httpx.Response(200, json={"sims": [sim("new")], "meta": {}})
        if request.method == "POST":
            return httpx.Response(202, json=sim("scheduled"))
        return httpx.Response(200, json=sim("active"))

    client = api(handler, seen)
    assert client.set_status(ICCID, "active").change is StatusChange.ACCEPTED
    assert seen[0].url.params["Iccid"] == ICCID
    assert seen[1].content == b"Status=active"
    assert seen[1].headers["Authorization"].startswith("Basic ")
    assert client.get_sim(ICCID).state is SimState.ACTIVE
    assert [r.url.path for r in seen] == ["/v1/Sims", f"/v1/Sims/{HS}", f"/v1/Sims/{HS}"]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, CarrierRateLimited),
        (401, {"code": 20003, "message": "Authenticate", "status": 401}, CarrierAuthFailed),
        (400, {"code": 83010, "message": "bad move", "status": 400}, CarrierRejected),
        (502, None, CarrierUnavailable),
    ],
)
def test_errors_map_to_the_tree(status: int, body: object, expected: type[Exception]) -> None:
    client = api(lambda request: httpx.Response(status, json=body), [])
    with pytest.raises(expected) as caught:
        client.get_sim(ICCID)
    assert type(caught.value) is expected
    assert TOKEN not in str(caught.value)
    assert ICCID in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"code": 20500, "message": "Internal Server Error", "status": 500}),
        httpx.Response(503, text="Service Unavailable"),  # a carrier that is down: no JSON at all
    ],
    ids=["500", "503-plain"],
)
def test_the_carriers_trouble_is_retryable(answer: httpx.Response) -> None:
    client = api(lambda request: answer, [])
    with pytest.raises(CarrierUnavailable):
        client.set_status(ICCID, "active")


def test_a_timeout_is_retryable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(CarrierUnavailable, match="timed out"):
        api(hang, []).get_sim(ICCID)


def test_an_unknown_iccid_is_final_and_rate_plans_are_said_plainly() -> None:
    client = api(lambda request: httpx.Response(200, json={"sims": [], "meta": {}}), [])
    with pytest.raises(CarrierRejected, match="no Super SIM with this ICCID"):
        client.get_sim(ICCID)
    with pytest.raises(CarrierRejected, match="Fleet"):
        client.list_rate_plans()


def test_paging_never_follows_a_link_to_another_host() -> None:
    seen: list[httpx.Request] = []
    meta = {"next_page_url": "https://evil.example/v1/Sims?Page=1"}
    client = api(lambda request: httpx.Response(200, json={"sims": [sim("active")], "meta": meta}), seen)
    from datetime import UTC, datetime

    assert [s.iccid for s in client.changed_since(datetime.now(UTC))] == [ICCID]
    assert len(seen) == 1


def test_rules_ready_only_from_new_and_no_terminate() -> None:
    assert PLATFORM.transition_problem("active", "ready") is not None
    assert PLATFORM.transition_problem("new", "ready") is None
    assert PLATFORM.transition_problem("scheduled", "inactive") is not None
    assert PLATFORM.status_for(SimState.SUSPENDED) == "inactive"
    with pytest.raises(ValueError, match="cannot end"):
        PLATFORM.status_for(SimState.TERMINATED)


def test_a_move_refused_while_an_earlier_change_is_scheduled_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={"code": 83010, "message": "Invalid transition", "status": 400})
        if request.url.path == "/v1/Sims":
            return httpx.Response(200, json={"sims": [sim("active")], "meta": {}})
        return httpx.Response(200, json=sim("scheduled"))

    with pytest.raises(CarrierUnavailable, match="still under way"):
        api(handler, []).set_status(ICCID, "inactive")
