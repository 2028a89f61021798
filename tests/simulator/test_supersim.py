"""The Super SIM simulator over real HTTP: driven by our client and by Twilio's official Python SDK
(``twilio``, its Super SIM domain pointed at the simulator), its answers checked against Twilio's and
KORE's OpenAPI descriptions (openapi-core)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client as TwilioClient

from carriers.errors import CarrierAuthFailed, CarrierRateLimited, CarrierRejected
from carriers.platform import StatusChange
from carriers.supersim.client import SuperSimApi
from simulator import SimulatorConfig
from simulator.server import in_thread
from tests.simulator.openapi_check import check

ACCOUNT, TOKEN = "AC" + "1f" * 16, "supersim-auth-token-9a"
CLIENT_ID, CLIENT_SECRET = "kore-client-2b", "kore-client-secret-4c"
AUTH = ("demo", "secret")
FIRST, SECOND, THIRD = "8988216716970004975", "8988216716970004983", "8988216716970004991"
FOURTH = "8988216716970005004"  # for the scripted errors alone


@dataclass
class Running:
    base_url: str
    opened: list[SuperSimApi] = field(default_factory=list)

    def admin(self, method: str, path: str, json: object = None) -> httpx.Response:
        answer = httpx.request(method, f"{self.base_url}/_admin{path}", json=json, auth=AUTH, timeout=5)
        answer.raise_for_status()
        return answer

    def api(self, token: str = TOKEN) -> SuperSimApi:
        self.opened.append(SuperSimApi(f"{self.base_url}/v1", ACCOUNT, token, timeout=5, deadline_s=5))
        return self.opened[-1]

    def oauth_api(self, secret: str = CLIENT_SECRET) -> SuperSimApi:
        api = SuperSimApi(f"{self.base_url}/v1", CLIENT_ID, secret, oauth2=True, timeout=5, deadline_s=5)
        self.opened.append(api)
        return api

    def status(self, iccid: str) -> str:
        [sim] = [s for s in self.admin("GET", "/supersim/sims").json() if s["iccid"] == iccid]
        return str(sim["status"])


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    config = SimulatorConfig(
        *AUTH,
        strict=True,
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        kore_client_id=CLIENT_ID,
        kore_client_secret=CLIENT_SECRET,
        seed=1,
    )
    with in_thread(config) as base_url:
        up = Running(base_url)
        sims = [{"iccid": FIRST}, {"iccid": SECOND, "status": "active"}, {"iccid": THIRD}]
        up.admin("POST", "/supersim/sims", sims)
        yield up


@pytest.fixture(autouse=True)
def no_faults(running: Running) -> Iterator[None]:
    running.admin("PUT", "/faults", {"fail_rate": 0, "down": False, "rate_limit": 0})
    yield
    while running.opened:
        running.opened.pop().close()


def _until(check: object, deadline_s: float = 5) -> None:
    deadline = time.monotonic() + deadline_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the scheduled change did not land"
        time.sleep(0.05)  # a poll interval, as a read-back does


def test_a_status_change_is_scheduled_then_lands(running: Running) -> None:
    api = running.api()
    edit = api.set_status(FIRST, "active")
    assert edit.change is StatusChange.ACCEPTED
    assert api.get_sim(FIRST).status == "scheduled"
    _until(lambda: api.get_sim(FIRST).status == "active")
    assert api.set_status(FIRST, "inactive").change is StatusChange.ACCEPTED
    _until(lambda: api.get_sim(FIRST).status == "inactive")
    assert running.api().set_status(FIRST, "inactive").change is StatusChange.ALREADY
    with pytest.raises(CarrierRejected) as caught:
        api.set_status(FIRST, "ready")  # ready only from new
    assert caught.value.error_code == "83010"
    assert api.get_usage(FIRST).data_bytes is not None
    assert {s.iccid for s in api.changed_since(datetime.now(UTC))} == {FIRST, SECOND, THIRD}


def test_refusals_and_faults_in_twilios_envelope(running: Running) -> None:
    with pytest.raises(CarrierAuthFailed) as caught:
        running.api(token="wrong").check_connection()
    assert caught.value.error_code == "20003"
    running.admin("PUT", "/faults", {"rate_limit": 0.01})  # one call a 100 s
    api = running.api()
    api.check_connection()
    with pytest.raises(CarrierRateLimited) as limited:
        api.check_connection()
    assert limited.value.error_code == "20429"


def test_ready_turns_active_with_first_traffic(running: Running) -> None:
    api = running.api()
    api.set_status(THIRD, "ready")
    _until(lambda: running.status(THIRD) == "ready")
    running.admin("POST", "/supersim/traffic", {"iccid": THIRD})
    assert api.get_sim(THIRD).status == "active"


def test_the_official_twilio_sdk_drives_the_simulator(running: Running) -> None:
    client = TwilioClient(ACCOUNT, TOKEN)
    client.supersim.base_url = running.base_url  # the SDK's own setting for its Super SIM host
    [found] = client.supersim.v1.sims.list(iccid=SECOND)
    assert (found.iccid, found.status) == (SECOND, "active")
    updated = client.supersim.v1.sims(found.sid).update(status="inactive")
    assert updated.status == "scheduled"
    command = client.supersim.v1.sms_commands.create(sim=found.sid, payload="*STATUS#")
    assert client.supersim.v1.sms_commands(command.sid).fetch().payload == "*STATUS#"
    records = client.supersim.v1.usage_records.list(sim=found.sid, granularity="all")
    assert records[0].data_total > 0
    assert len(client.supersim.v1.sims.list(page_size=2)) == 3  # the SDK follows meta.next_page_url
    refused = TwilioClient(ACCOUNT, "wrong")
    refused.supersim.base_url = running.base_url
    with pytest.raises(TwilioRestException) as caught:
        refused.supersim.v1.sims(found.sid).fetch()
    assert (caught.value.status, caught.value.code) == (401, 20003)


@pytest.mark.parametrize(
    ("spec", "server"),
    [
        ("twilio_supersim_v1.json", "https://supersim.twilio.com"),
        ("kore-supersim.json", "https://supersim.api.korewireless.com"),
    ],
)
def test_answers_match_the_official_descriptions(running: Running, spec: str, server: str) -> None:
    base = f"{running.base_url}/v1"
    _until(lambda: running.status(SECOND) != "scheduled")
    with httpx.Client(auth=(ACCOUNT, TOKEN), timeout=5) as http:
        [sim] = http.get(f"{base}/Sims", params={"Iccid": SECOND}).json()["sims"]
        other = "inactive" if sim["status"] == "active" else "active"
        exchanges = [
            http.get(f"{base}/Sims", params={"Iccid": SECOND}),
            http.get(f"{base}/Sims", params={"PageSize": 2}),
            http.get(f"{base}/Sims/{sim['sid']}"),
            http.post(f"{base}/Sims/{sim['sid']}", data={"Status": other}),
            http.get(f"{base}/UsageRecords", params={"Sim": sim["sid"], "Granularity": "all"}),
            http.post(f"{base}/SmsCommands", data={"Sim": sim["sid"], "Payload": "ping"}),
        ]
        exchanges.append(http.get(f"{base}/SmsCommands/{exchanges[-1].json()['sid']}"))
    assert [e.status_code for e in exchanges] == [200, 200, 200, 202, 200, 201, 200]
    for exchange in exchanges:
        check(spec, server, exchange)


def test_kores_oauth2_client_credentials_drive_the_simulator(running: Running) -> None:
    """The token API checks the client, its tokens open /v1, an expired one is refused and our client
    renews it; the exchanges match KORE's token API and Super SIM descriptions."""
    issued = running.admin("GET", "/supersim/tokens").json()["issued"]
    api = running.oauth_api()
    assert api.get_sim(SECOND).iccid == SECOND
    running.admin("POST", "/supersim/expire-tokens")
    assert api.get_sim(SECOND).iccid == SECOND  # refused once, renewed, sent again
    assert running.admin("GET", "/supersim/tokens").json()["issued"] == issued + 2
    with pytest.raises(CarrierAuthFailed, match="invalid_client") as caught:
        running.oauth_api(secret="not-the-secret-77").check_connection()
    assert "not-the-secret-77" not in str(caught.value)

    token_url = f"{running.base_url}/api-services/v1/auth/token"
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    with httpx.Client(timeout=5) as http:
        granted = http.post(token_url, data=form)
        refused = http.post(token_url, data={**form, "client_secret": "wrong"})
        token = granted.json()["access_token"]
        listing = http.get(
            f"{running.base_url}/v1/Sims",
            params={"Iccid": SECOND},
            headers={"Authorization": f"Bearer {token}"},
        )
        expired = http.get(f"{running.base_url}/v1/Sims", headers={"Authorization": "Bearer not-a-token"})
    assert (granted.status_code, refused.status_code, listing.status_code) == (200, 401, 200)
    assert granted.json()["expires_in"] == 3600
    assert refused.json()["error"] == "invalid_client"
    assert (expired.status_code, expired.json()["code"]) == (401, 20003)
    for exchange in (granted, refused):
        check("kore-token.json", "https://api.korewireless.com", exchange)
    check("kore-supersim.json", "https://supersim.api.korewireless.com", listing)


def test_scripted_errors_answer_the_next_call_on_the_sim_in_twilios_envelope(running: Running) -> None:
    running.admin("POST", "/supersim/sims", [{"iccid": FOURTH, "status": "active"}])
    [sim] = [s for s in running.admin("GET", "/supersim/sims").json() if s["iccid"] == FOURTH]
    running.admin("POST", "/supersim/errors", [{"iccid": FOURTH, "errorCode": 20404}])
    assert running.admin("GET", "/supersim/errors").json() == {FOURTH: ["20404"]}
    url, auth = f"{running.base_url}/v1/Sims/{sim['sid']}", (ACCOUNT, TOKEN)
    answer = httpx.post(url, data={"Status": "inactive"}, auth=auth, timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {
        "code": 20404,
        "message": "The requested resource was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    assert running.status(FOURTH) == "active"  # refused before the route: nothing changed
    calls = running.admin("GET", "/calls").json()["calls"]
    assert (calls[-1]["iccid"], calls[-1]["errorCode"], calls[-1]["fault"]) == (FOURTH, "20404", "error")
    assert httpx.get(url, auth=auth, timeout=5).status_code == 200  # one answer scripted, one taken
    running.admin("POST", "/supersim/errors", [{"iccid": FOURTH, "errorCode": "83010"}])
    with pytest.raises(CarrierRejected) as caught:
        running.api().set_status(FOURTH, "inactive")
    assert caught.value.error_code == "83010"
    assert running.status(FOURTH) == "active"


@pytest.mark.parametrize(
    "items",
    [
        [{"iccid": SECOND, "errorCode": 20005}],  # not one of the catalogue's
        [{"iccid": SECOND, "errorCode": True}],
        [{"iccid": SECOND, "errorCode": "40000029"}],  # Control Center's, not Super SIM's
        [{"iccid": SECOND, "errorCode": 20404}, {"iccid": "12", "errorCode": 20404}],
    ],
)
def test_bad_scripted_errors_are_refused_and_queue_nothing(running: Running, items: object) -> None:
    answer = httpx.post(f"{running.base_url}/_admin/supersim/errors", json=items, auth=AUTH, timeout=5)
    assert answer.status_code == 422
    assert "error #" in answer.json()["detail"]
    assert running.admin("GET", "/supersim/errors").json() == {}


def test_a_reset_forgets_the_scripted_errors(running: Running) -> None:
    running.admin("POST", "/supersim/errors", [{"iccid": THIRD, "errorCode": 20500}])
    running.admin("DELETE", "/supersim/errors")
    assert running.admin("GET", "/supersim/errors").json() == {}
    running.admin("POST", "/supersim/errors", [{"iccid": THIRD, "errorCode": 20500}])
    running.admin("POST", "/reset")
    assert running.admin("GET", "/supersim/errors").json() == {}
