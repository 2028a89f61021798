"""The emnify simulator over real HTTP: our client drives it, and its answers match emnify's own
OpenAPI description (openapi-core)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from carriers.emnify.client import EmnifyApi
from carriers.errors import CarrierAuthFailed, CarrierRateLimited, CarrierRejected, CarrierUnavailable
from carriers.platform import SimState, StatusChange
from simulator import SimulatorConfig
from simulator.emnify import TOKEN_LIFE_S, Emnify
from simulator.server import in_thread
from simulator.state import Clock
from tests.simulator.openapi_check import check

TOKEN = "emnify-app-token-5e4d"
AUTH = ("demo", "secret")
KNOWN = "8988216716970004975"
NO_ENDPOINT = "8988216716970004983"
SPEC, SERVER = "emnify-openapi.yml", "https://cdn.emnify.net"


@dataclass
class Running:
    base_url: str
    opened: list[EmnifyApi] = field(default_factory=list)

    def admin(self, method: str, path: str, json: object = None) -> httpx.Response:
        answer = httpx.request(method, f"{self.base_url}/_admin{path}", json=json, auth=AUTH, timeout=5)
        answer.raise_for_status()
        return answer

    def api(self, token: str = TOKEN) -> EmnifyApi:
        self.opened.append(EmnifyApi(self.base_url, token, timeout=5, deadline_s=5))
        return self.opened[-1]


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    config = SimulatorConfig(*AUTH, strict=True, emnify_token=TOKEN, seed=1)
    with in_thread(config) as base_url:
        up = Running(base_url)
        up.admin("POST", "/emnify/sims", [{"iccid": KNOWN}, {"iccid": NO_ENDPOINT, "endpoint": False}])
        yield up


@pytest.fixture(autouse=True)
def no_faults(running: Running) -> Iterator[None]:
    running.admin("PUT", "/faults", {"fail_rate": 0, "cut_rate": 0, "down": False, "rate_limit": 0})
    yield
    while running.opened:
        running.opened.pop().close()


def test_commission_and_decommission_a_sim(running: Running) -> None:
    api = running.api()
    assert api.get_sim(KNOWN).status == "Issued"
    assert api.set_status(KNOWN, "Activated").change is StatusChange.APPLIED
    assert api.get_sim(KNOWN).state is SimState.ACTIVE
    assert api.set_status(KNOWN, "Suspended").change is StatusChange.APPLIED
    assert running.api().set_status(KNOWN, "Suspended").change is StatusChange.ALREADY
    assert api.get_sim(KNOWN).status == "Suspended"
    assert api.get_usage(KNOWN).data_bytes is not None
    assert [s.iccid for s in api.changed_since(datetime.now(UTC))] == [KNOWN, NO_ENDPOINT]


def test_emnify_refuses_what_its_rules_forbid(running: Running) -> None:
    api = running.api()
    with pytest.raises(CarrierRejected) as caught:
        api.set_status(NO_ENDPOINT, "Suspended")  # Issued -> Suspended is not a move emnify allows
    assert caught.value.error_code == "invalid_status_transition"
    with pytest.raises(CarrierRejected, match="has no SIM with this ICCID"):
        api.get_sim("8988216716970004991")  # strict: unknown
    with pytest.raises(CarrierRejected, match="endpoint"):
        api.send_sms(NO_ENDPOINT, "hi")


def test_sms_goes_to_the_endpoint(running: Running) -> None:
    api = running.api()
    api.set_status(KNOWN, "Activated")
    sms_id = api.send_sms(KNOWN, "ping")
    assert api.get_sms(sms_id).message_text == "ping"


def test_expired_tokens_are_renewed_and_a_wrong_token_is_final(running: Running) -> None:
    api = running.api()
    api.get_sim(KNOWN)
    running.admin("POST", "/emnify/expire-tokens")
    assert api.get_sim(KNOWN).iccid == KNOWN  # a new token, asked for once
    with pytest.raises(CarrierAuthFailed, match="application token"):
        running.api(token="not-the-token").check_connection()


def test_fault_switches_answer_in_emnify_envelopes(running: Running) -> None:
    api = running.api()
    api.check_connection()
    running.admin("PUT", "/faults", {"fail_rate": 1})
    with pytest.raises(CarrierUnavailable, match="internal_error"):
        api.get_sim(KNOWN)
    running.admin("PUT", "/faults", {"fail_rate": 0, "rate_limit": 0.01})  # one call a 100 s
    api.get_sim(KNOWN)  # the one call of this second
    with pytest.raises(CarrierRateLimited) as caught:
        api.get_sim(KNOWN)
    assert caught.value.retry_after == 1


def test_the_cut_fault_cuts_emnify_answers_in_half(running: Running) -> None:
    """Before, only Control Center's answers were ever cut: the fault suite's cut scenario on emnify cut
    nothing."""
    url = f"{running.base_url}/api/v1/authenticate"
    whole = httpx.post(url, json={"application_token": TOKEN}, timeout=5)
    running.admin("PUT", "/faults", {"cut_rate": 1})
    cut = httpx.post(url, json={"application_token": TOKEN}, timeout=5)
    assert cut.status_code == whole.status_code == 200
    assert int(cut.headers["content-length"]) == len(cut.content) == len(whole.content) // 2
    calls = httpx.get(f"{running.base_url}/_admin/calls", auth=AUTH, timeout=5).json()["calls"]
    assert calls[-1]["fault"] == "cut"


def test_answers_match_emnifys_openapi_description(running: Running) -> None:
    base = f"{running.base_url}/api/v1"
    with httpx.Client(timeout=5) as http:
        auth = http.post(f"{base}/authenticate", json={"application_token": TOKEN})
        check(SPEC, SERVER, auth, request_too=False)
        headers = {"Authorization": f"Bearer {auth.json()['auth_token']}"}
        found = http.get(f"{base}/sim", params={"q": f"iccid_with_luhn:{KNOWN}"}, headers=headers)
        check(SPEC, SERVER, found)
        sim_id = found.json()[0]["id"]
        endpoint = found.json()[0]["endpoint"]["id"]
        exchanges = [
            http.get(f"{base}/sim/{sim_id}", headers=headers),
            http.patch(f"{base}/sim/{sim_id}", json={"status": {"id": 1}}, headers=headers),
            http.get(f"{base}/sim/{sim_id}/stats", headers=headers),
            http.post(f"{base}/endpoint/{endpoint}/sms", json={"payload": "hi"}, headers=headers),
            http.patch(f"{base}/sim/{sim_id}", json={"status": {"id": 0}}, headers=headers),
            http.post(f"{base}/authenticate", json={"application_token": "wrong"}),
        ]
        sms_path = exchanges[3].headers["Location"]
        exchanges.append(http.get(f"{running.base_url}{sms_path}", headers=headers))
    assert [e.status_code for e in exchanges] == [200, 204, 200, 201, 400, 401, 200]
    for exchange in exchanges:
        check(SPEC, SERVER, exchange, request_too=_request_checkable(exchange.request))


def _request_checkable(request: httpx.Request) -> bool:
    """Whether the description's request schema is right for this request. Two are not: it asks a
    Bearer token of authenticate (which obtains it), and its PATCH /sim/{id} schema requires the three
    organisations its own text calls optional (a customer may send only status)."""
    return request.method != "PATCH" and not request.url.path.endswith("/authenticate")


def test_scripted_errors_answer_the_next_call_on_the_sim_in_emnifys_envelope(running: Running) -> None:
    """emnify's calls name a SIM by its id: the simulator finds the ICCID the error was scripted for."""
    [sim] = [s for s in running.admin("GET", "/emnify/sims").json() if s["iccid_with_luhn"] == NO_ENDPOINT]
    running.admin("POST", "/emnify/errors", [{"iccid": NO_ENDPOINT, "errorCode": "not_found", "count": 2}])
    assert running.admin("GET", "/emnify/errors").json() == {NO_ENDPOINT: ["not_found", "not_found"]}
    api = running.api()
    with pytest.raises(CarrierRejected) as caught:
        api.set_status(NO_ENDPOINT, "Activated")  # found by its ICCID, then PATCHed by its id: refused
    assert (caught.value.error_code, caught.value.http_status) == ("not_found", 404)
    calls = running.admin("GET", "/calls").json()["calls"]
    assert (calls[-1]["path"], calls[-1]["iccid"], calls[-1]["fault"]) == (
        f"/api/v1/sim/{sim['id']}",
        NO_ENDPOINT,
        "error",
    )
    jwt = httpx.post(f"{running.base_url}/api/v1/authenticate", json={"application_token": TOKEN}, timeout=5)
    answer = httpx.get(
        f"{running.base_url}/api/v1/sim/{sim['id']}",
        headers={"Authorization": f"Bearer {jwt.json()['auth_token']}"},
        timeout=5,
    )
    assert answer.status_code == 404
    assert answer.json() == {"error_code": 1404, "error_token": "not_found", "message": "Resource not found."}
    assert api.get_sim(NO_ENDPOINT).status == "Issued"  # nothing changed, and no error left


@pytest.mark.parametrize(
    "items",
    [
        [{"iccid": KNOWN, "errorCode": "no_such_token"}],
        [{"iccid": KNOWN, "errorCode": 1404}],  # the number: the token tells emnify's answers apart
        [{"iccid": KNOWN, "errorCode": "40000029"}],  # Control Center's, not emnify's
        [{"iccid": KNOWN, "errorCode": "not_found"}, {"iccid": KNOWN, "errorCode": "not_found", "count": 0}],
    ],
)
def test_bad_scripted_errors_are_refused_and_queue_nothing(running: Running, items: object) -> None:
    answer = httpx.post(f"{running.base_url}/_admin/emnify/errors", json=items, auth=AUTH, timeout=5)
    assert answer.status_code == 422
    assert "error #" in answer.json()["detail"]
    assert running.admin("GET", "/emnify/errors").json() == {}
    not_json = httpx.post(f"{running.base_url}/_admin/emnify/errors", content=b"[", auth=AUTH, timeout=5)
    assert not_json.json() == {"detail": "the body is not valid JSON"}


def test_a_reset_forgets_the_scripted_errors(running: Running) -> None:
    running.admin("POST", "/emnify/errors", [{"iccid": KNOWN, "errorCode": "internal_error"}])
    assert running.admin("DELETE", "/emnify/errors").json() == {"cleared": 1}
    running.admin("POST", "/emnify/errors", [{"iccid": KNOWN, "errorCode": "internal_error"}])
    running.admin("POST", "/reset")
    assert running.admin("GET", "/emnify/errors").json() == {}


def test_tokens_state_whole_seconds_so_their_length_does_not_vary_with_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, iat and exp were floats: 1796328013.3339999 and 1796328013.208408 made tokens of two
    lengths, and the cut test, which halves one token and compares it with another, failed now and then."""
    org = Emnify(TOKEN, strict=True, clock=Clock())
    issued = []
    for now in (1796328013.3339999, 1796328013.208408, 1796328013.0):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        issued.append(org.issue({"application_token": TOKEN}))
    assert len({len(token) for token in issued}) == 1
    claims = json.loads(base64.urlsafe_b64decode(issued[0].split(".")[1] + "=="))
    assert (claims["iat"], claims["exp"]) == (1796328013, 1796328013 + TOKEN_LIFE_S)
