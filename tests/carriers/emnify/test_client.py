"""Unit tests of the emnify client against a fake emnify (httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from carriers.emnify import PLATFORM
from carriers.emnify.client import EmnifyApi
from carriers.errors import CarrierAuthFailed, CarrierRateLimited, CarrierRejected, CarrierUnavailable
from carriers.platform import SimState, StatusChange

APP_TOKEN = "app-token-9f8e7d6c5b4a"
ICCID = "8988216716970004975"
NOW = 1_800_000_000.0


def jwt(exp: float, n: int = 0) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'exp': exp, 'n': n})}.c2ln"


class FakeEmnify:
    """A few emnify answers, with the requests recorded; tokens expire at ``exp``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.exp = NOW + 3600
        self.status_id = 0
        self.overrides: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key in self.overrides:
            return self.overrides.pop(key)(request)
        if request.url.path == "/api/v1/authenticate":
            if json.loads(request.content) != {"application_token": APP_TOKEN}:
                return httpx.Response(
                    401, json={"error_code": 1001, "error_token": "invalid_token", "message": "no"}
                )
            token = jwt(self.exp, len(self.issued))
            self.issued.append(token)
            self.valid.add(token)
            return httpx.Response(200, json={"auth_token": token})
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid:
            return httpx.Response(
                401, json={"error_code": 1002, "error_token": "token_expired", "message": "x"}
            )
        return self.api(request)

    def api(self, request: httpx.Request) -> httpx.Response:
        sim = {"id": 42, "iccid": ICCID[:-1], "iccid_with_luhn": ICCID, "status": {"id": self.status_id}}
        sim["endpoint"] = {"id": 7}
        if request.url.path == "/api/v1/sim" and request.url.params.get("q") == f"iccid_with_luhn:{ICCID}":
            return httpx.Response(200, json=[sim])
        if request.url.path == "/api/v1/sim":
            return httpx.Response(200, json=[])
        if request.url.path == "/api/v1/sim/42" and request.method == "GET":
            return httpx.Response(200, json=sim)
        if request.url.path == "/api/v1/sim/42" and request.method == "PATCH":
            self.status_id = json.loads(request.content)["status"]["id"]
            return httpx.Response(204, headers={"Date": "Tue, 01 Dec 2026 10:00:00 GMT"})
        if request.url.path == "/api/v1/sim/42/stats":
            month = {"data": {"volume": 1.5}, "sms": {"volume": 3}}
            return httpx.Response(200, json=[{"current_month": month, "last_month": {}}])
        if request.url.path == "/api/v1/endpoint/7/sms":
            return httpx.Response(201, headers={"Location": "/api/v1/endpoint/7/sms/555"})
        return httpx.Response(404, json={"error_code": 1404, "error_token": "not_found", "message": "no"})


@pytest.fixture
def fake() -> FakeEmnify:
    return FakeEmnify()


def api(fake: FakeEmnify, clock: list[float] | None = None, token: str = APP_TOKEN) -> EmnifyApi:
    times = clock or [NOW]
    return EmnifyApi(
        "https://cdn.emnify.net/api/v1/",
        token,
        transport=httpx.MockTransport(fake),
        clock=lambda: times[0],
    )


def paths(fake: FakeEmnify) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in fake.requests]


def test_authenticates_once_then_finds_and_remembers_the_sim_id(fake: FakeEmnify) -> None:
    client = api(fake)
    first = client.get_sim(ICCID)
    second = client.get_sim(ICCID)
    assert (first.status, first.state) == ("Issued", SimState.INVENTORY)
    assert second.iccid == ICCID
    assert paths(fake) == ["POST /api/v1/authenticate", "GET /api/v1/sim", "GET /api/v1/sim/42"]
    assert fake.requests[1].headers["Authorization"] == f"Bearer {fake.issued[0]}"


def test_activate_patches_the_status_id_and_an_already_active_sim_is_not_patched(fake: FakeEmnify) -> None:
    client = api(fake)
    edit = client.set_status(ICCID, "Activated")
    assert edit.change is StatusChange.APPLIED
    assert edit.carrier_time == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert json.loads(fake.requests[-1].content) == {"status": {"id": 1}}
    again = api(fake).set_status(ICCID, "Activated")  # a fresh connection finds the SIM, already active
    assert again.change is StatusChange.ALREADY


def test_the_token_is_renewed_before_it_expires(fake: FakeEmnify) -> None:
    clock = [NOW]
    client = api(fake, clock)
    client.get_sim(ICCID)
    clock[0] = fake.exp - 30  # within a minute of expiry
    client.get_sim(ICCID)
    assert len(fake.issued) == 2
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {fake.issued[1]}"


def test_a_refused_token_is_renewed_once_and_the_call_sent_again(fake: FakeEmnify) -> None:
    clock = [NOW]
    client = api(fake, clock)
    client.get_sim(ICCID)
    fake.valid.clear()  # emnify forgets the token mid-life
    clock[0] += 10
    assert client.get_sim(ICCID).status == "Issued"
    assert paths(fake)[-3:] == ["GET /api/v1/sim/42", "POST /api/v1/authenticate", "GET /api/v1/sim/42"]


def test_a_wrong_application_token_is_final_and_never_quoted(fake: FakeEmnify) -> None:
    client = api(fake, token="wrong-token-123")
    with pytest.raises(CarrierAuthFailed) as caught:
        client.get_sim(ICCID)
    assert "wrong-token-123" not in caught.value.message
    assert caught.value.error_code == "invalid_token"
    with pytest.raises(CarrierAuthFailed):  # not asked again at once: the authenticate path has a limit
        client.get_sim(ICCID)
    assert paths(fake) == ["POST /api/v1/authenticate"]


def test_unknown_iccid_is_final_with_its_own_message(fake: FakeEmnify) -> None:
    with pytest.raises(CarrierRejected) as caught:
        api(fake).get_sim("8988216716970004983")
    assert "has no SIM with this ICCID" in caught.value.message
    assert caught.value.iccid == "8988216716970004983"


@pytest.mark.parametrize(
    ("status", "body", "expected", "words"),
    [
        (
            429,
            {"error_code": 1429, "error_token": "too_many_requests", "message": "slow"},
            CarrierRateLimited,
            "rate",
        ),
        (503, None, CarrierUnavailable, "trouble"),
        (422, {"error_code": 1100, "error_token": "invalid_status_transition"}, CarrierRejected, "not allow"),
        (403, {"message": "forbidden"}, CarrierRejected, "role"),
    ],
)
def test_errors_map_to_the_tree(
    fake: FakeEmnify, status: int, body: object, expected: type[Exception], words: str
) -> None:
    client = api(fake)
    client.get_sim(ICCID)
    answer = httpx.Response(status, json=body, headers={"Retry-After": "2"})
    fake.overrides[("PATCH", "/api/v1/sim/42")] = lambda request: answer
    with pytest.raises(expected) as caught:
        client.set_status(ICCID, "Activated")
    assert type(caught.value) is expected
    assert words in str(caught.value)
    assert ICCID in str(caught.value)
    if isinstance(caught.value, CarrierRateLimited):
        assert caught.value.retry_after == 2


def test_a_timeout_is_retryable_and_says_a_write_may_have_landed(fake: FakeEmnify) -> None:
    client = api(fake)
    client.get_sim(ICCID)

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake.overrides[("PATCH", "/api/v1/sim/42")] = hang
    with pytest.raises(CarrierUnavailable, match="may or may not have been applied"):
        client.set_status(ICCID, "Suspended")


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", "/api/v1/authenticate", lambda client: client.get_sim(ICCID)),
        ("GET", "/api/v1/sim", lambda client: list(client.changed_since(datetime.now(UTC)))),
        ("GET", "/api/v1/sim/42", lambda client: client.get_sim(ICCID)),
    ],
    ids=["authenticate", "listing", "sim"],
)
def test_a_cut_answer_is_retryable_not_a_wrong_server(
    fake: FakeEmnify, method: str, path: str, call: Callable[[EmnifyApi], object]
) -> None:
    """Before, a listing or a token cut off on the way failed for good, telling staff to check the server
    address (the fault suite's cut scenario on emnify)."""
    client = api(fake)
    if path == "/api/v1/sim/42":
        client.get_sim(ICCID)  # the SIM's id is known: the next read asks for it by id
    fake.overrides[(method, path)] = lambda request: httpx.Response(200, content=b'[{"id": 42, "icc')
    with pytest.raises(CarrierUnavailable, match="cut off or unreadable; the call can be retried"):
        call(client)


def test_usage_sms_and_what_emnify_cannot_do(fake: FakeEmnify) -> None:
    client = api(fake)
    usage = client.get_usage(ICCID)
    assert (usage.data_bytes, usage.sms_count) == (1_500_000, 3)
    assert client.send_sms(ICCID, "hello") == "7-555"
    assert json.loads(fake.requests[-1].content) == {"payload": "hello"}
    with pytest.raises(CarrierRejected, match="rate plans"):
        client.list_rate_plans()
    with pytest.raises(CarrierRejected, match="not 19 or 20 digits"):
        client.get_sim("89/../../x")


def test_platform_rules_and_capabilities() -> None:
    assert PLATFORM.status_for(SimState.SUSPENDED) == "Suspended"
    assert PLATFORM.status_for(SimState.ACTIVE) == "Activated"
    assert PLATFORM.transition_problem("Issued", "Suspended") is not None
    assert PLATFORM.transition_problem("Suspended", "Activated") is None
    assert PLATFORM.transition_problem("Deleted", "Activated") is not None
    assert "rate_plans" not in PLATFORM.capabilities
