"""Super SIM with KORE's OAuth2 client credentials, against a fake KORE (httpx.MockTransport): the token
call, the bearer token on /v1, its renewal before expiry and once when refused, and the refusals."""

from __future__ import annotations

import urllib.parse

import httpx
import pytest

from carriers import registry
from carriers.errors import CarrierAuthFailed, CarrierUnavailable
from carriers.supersim import OAUTH2_KIND
from carriers.supersim.client import SuperSimApi
from carriers.supersim.oauth import KORE_TOKEN_URL, token_url

CLIENT_ID, CLIENT_SECRET = "kore-client-7f3a", "kore-secret-9b1c2d"
ICCID = "8988216716970004975"
HS = "HS" + "a" * 32
NOW = 1_800_000_000.0


class FakeKore:
    """KORE's token API and Super SIM host: tokens numbered, living ``life`` seconds."""

    def __init__(self, life: int = 3600) -> None:
        self.life = life
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.seen: list[httpx.Request] = []
        self.token_answer: httpx.Response | None = None
        self.refuse_bearer = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/api-services/v1/auth/token":
            return self._token(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.valid or self.refuse_bearer:
            return httpx.Response(401, json={"code": 20003, "message": "Authenticate", "status": 401})
        sim = {"sid": HS, "iccid": ICCID, "status": "active"}
        if request.url.path == f"/v1/Sims/{HS}":
            return httpx.Response(200, json=sim)
        return httpx.Response(200, json={"sims": [sim], "meta": {}})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.token_answer is not None:
            return self.token_answer
        form = dict(urllib.parse.parse_qsl(request.content.decode()))
        if form != {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }:
            body = {
                "error": "invalid_client",
                "error_description": "Invalid client or Invalid client credentials",
            }
            return httpx.Response(401, json=body)
        token = f"access-{len(self.issued) + 1}"
        self.issued.append(token)
        self.valid.add(token)
        return httpx.Response(
            200, json={"access_token": token, "expires_in": self.life, "token_type": "Bearer"}
        )

    def token_calls(self) -> int:
        return sum(1 for request in self.seen if request.url.path == "/api-services/v1/auth/token")


def api(fake: FakeKore, clock: list[float], secret: str = CLIENT_SECRET, address: str = "") -> SuperSimApi:
    return SuperSimApi(
        address or "https://supersim.api.korewireless.com/v1",
        CLIENT_ID,
        secret,
        oauth2=True,
        transport=httpx.MockTransport(fake),
        clock=lambda: clock[0],
    )


def test_kores_host_gets_its_token_from_kores_token_api_and_sends_it_as_bearer() -> None:
    fake, clock = FakeKore(), [NOW]
    client = api(fake, clock)
    assert client.get_sim(ICCID).status == "active"
    client.get_sim(ICCID)
    token_call, *calls = fake.seen
    assert str(token_call.url) == KORE_TOKEN_URL
    assert "Authorization" not in token_call.headers
    assert [request.headers["Authorization"] for request in calls] == ["Bearer access-1"] * 2
    assert fake.token_calls() == 1


def test_the_token_url_is_kores_for_kores_host_and_the_same_origin_otherwise() -> None:
    assert token_url("https://supersim.api.korewireless.com") == KORE_TOKEN_URL
    assert token_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/api-services/v1/auth/token"


def test_the_token_is_renewed_a_minute_before_it_expires() -> None:
    fake, clock = FakeKore(life=600), [NOW]
    client = api(fake, clock)
    client.get_sim(ICCID)
    clock[0] += 600 - 30
    client.get_sim(ICCID)
    assert fake.issued == ["access-1", "access-2"]
    assert fake.seen[-1].headers["Authorization"] == "Bearer access-2"


def test_a_token_refused_mid_life_is_renewed_once_and_the_call_sent_again() -> None:
    fake, clock = FakeKore(), [NOW]
    client = api(fake, clock)
    client.get_sim(ICCID)
    fake.valid.clear()  # KORE revoked it
    assert client.get_sim(ICCID).status == "active"
    assert fake.issued == ["access-1", "access-2"]


def test_a_token_refused_even_when_new_is_final_and_says_so() -> None:
    fake, clock = FakeKore(), [NOW]
    fake.refuse_bearer = True  # the client may not use Super SIM: every token it gets is refused
    with pytest.raises(CarrierAuthFailed, match="may use Super SIM") as caught:
        api(fake, clock).get_sim(ICCID)
    assert "access-" not in str(caught.value)
    assert fake.token_calls() == 2  # renewed once, not in a loop


def test_wrong_client_credentials_are_final_name_the_cause_and_never_the_secret() -> None:
    fake, clock = FakeKore(), [NOW]
    client = api(fake, clock, secret="wrong-secret-5e6f")
    with pytest.raises(CarrierAuthFailed) as caught:
        client.get_sim(ICCID)
    message = str(caught.value)
    assert "invalid_client" in message
    assert "client id" in message
    assert "client secret" in message
    assert "wrong-secret-5e6f" not in message
    # Every call waiting on it meets the same refusal: the token API is not asked again at once.
    with pytest.raises(CarrierAuthFailed):
        client.get_sim(ICCID)
    assert fake.token_calls() == 1


def test_a_token_api_that_is_down_is_retryable() -> None:
    fake, clock = FakeKore(), [NOW]
    fake.token_answer = httpx.Response(503, json={"code": 503, "message": "Service Unavailable"})
    with pytest.raises(CarrierUnavailable, match="token API"):
        api(fake, clock).get_sim(ICCID)


def test_a_token_answer_that_echoes_the_secret_is_redacted() -> None:
    fake, clock = FakeKore(), [NOW]
    fake.token_answer = httpx.Response(400, json={"code": 400, "message": f"bad secret {CLIENT_SECRET}"})
    with pytest.raises(CarrierAuthFailed) as caught:
        api(fake, clock).get_sim(ICCID)
    assert CLIENT_SECRET not in str(caught.value)


def test_the_oauth2_kind_is_super_sim_with_a_client_secret() -> None:
    platform = registry.platform(OAUTH2_KIND)
    assert [field.label for field in platform.secret_fields] == ["client secret"]
    assert platform.statuses == registry.platform("supersim").statuses
