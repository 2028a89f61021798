"""The simulator's HTTP face through Starlette's TestClient: routes, envelopes, gateway, admin."""

from __future__ import annotations

import base64
import re
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning

from carriers.control_center_rest import codes
from simulator import Faults, SimulatorConfig, create_app
from simulator.state import Simulator
from tests.simulator.test_state import FakeClock

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; the project depends on httpx, which still works.
    warnings.filterwarnings("ignore", "Using `httpx` with", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ICCID = "8988216716970004975"
OTHER = "89882167169700049760"
API = "/rws/api/v1"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"demo:secret").decode()}
DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+0000")


def open_client(clock: FakeClock | None = None, **options: Any) -> TestClient:
    sims = options.pop("sims", [{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    config = SimulatorConfig("demo", "secret", sims=sims, **options)
    return TestClient(create_app(config, clock=clock), headers=AUTH)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with open_client() as client:
        yield client


def simulator_of(client: TestClient) -> Simulator:
    simulator: Simulator = client.app.state.simulator  # type: ignore[attr-defined]
    return simulator


def assert_refused(response: Any, code: str) -> None:
    entry = codes.ERROR_CODES[code]
    assert response.status_code == entry.http_status
    assert response.json() == {"errorMessage": entry.carrier_message, "errorCode": code}


# --- authentication --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"{API}/devices/{ICCID}", "/_admin/sims"])
def test_missing_credentials_get_springs_401(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json() == {"errorMessage": "Full authentication is required to access this resource"}


@pytest.mark.parametrize("path", [f"{API}/devices/{ICCID}", "/_admin/faults"])
@pytest.mark.parametrize(
    "header", ["Basic " + base64.b64encode(b"demo:wrong").decode(), "Basic %%%", "Basic ZGVtbw=="]
)
def test_wrong_credentials_get_10000001(client: TestClient, path: str, header: str) -> None:
    assert_refused(client.get(path, headers={"Authorization": header}), codes.INVALID_CREDENTIALS)


# --- devices ---------------------------------------------------------------------------------------


def test_get_device_details(client: TestClient) -> None:
    response = client.get(f"{API}/devices/{ICCID}")
    assert response.status_code == 200
    device = response.json()
    assert (device["iccid"], device["status"]) == (ICCID, "ACTIVATION_READY")
    assert DATE.fullmatch(device["dateAdded"])
    assert device["dateActivated"] is None


def test_put_then_get_round_trip(client: TestClient) -> None:
    response = client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
    assert (response.status_code, response.json()) == (200, {"iccid": ICCID})
    device = client.get(f"{API}/devices/{ICCID}").json()
    assert device["status"] == "ACTIVATED"
    assert DATE.fullmatch(device["dateActivated"])
    assert_refused(
        client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"}), codes.ALREADY_ACTIVATED
    )
    assert client.put(f"{API}/devices/{ICCID}", json={"status": "DEACTIVATED"}).status_code == 200
    assert client.put(f"{API}/devices/{ICCID}", json={"status": "DEACTIVATED"}).status_code == 200
    assert_refused(
        client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATION_READY"}),
        codes.NO_RETURN_TO_PRE_ACTIVATION,
    )


def test_delayed_apply_answers_202_and_shows_later() -> None:
    clock = FakeClock()
    with open_client(clock, faults=Faults(apply_delay_ms=2_000)) as client:
        response = client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
        assert (response.status_code, response.json()) == (202, {"iccid": ICCID})
        assert client.get(f"{API}/devices/{ICCID}").json()["status"] == "ACTIVATION_READY"
        clock.advance(2)
        assert client.get(f"{API}/devices/{ICCID}").json()["status"] == "ACTIVATED"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", codes.MALFORMED_JSON),
        (b'{"status": NaN}', codes.MALFORMED_JSON),
        (b"\xff\xfe\x00", codes.MALFORMED_JSON),
        (b"[" * 50_000, codes.MALFORMED_JSON),
        (b"", codes.MISSING_FIELDS),
        (b"{}", codes.MISSING_FIELDS),
        (b'{"status": "ACTIVATED", "x": 1}', codes.UNRECOGNISED_PARAMETER),
        (b'{"status": "GONE"}', codes.INVALID_STATUS),
        (b'{"ratePlan": "Platinum"}', codes.INVALID_RATE_PLAN),
    ],
)
def test_bad_put_bodies_get_their_codes(client: TestClient, body: bytes, code: str) -> None:
    response = client.put(
        f"{API}/devices/{ICCID}", content=body, headers={"Content-Type": "application/json"}
    )
    assert_refused(response, code)


def test_malformed_and_unknown_iccids(client: TestClient) -> None:
    assert_refused(client.get(f"{API}/devices/12345"), codes.INVALID_ICCID)
    assert_refused(client.put(f"{API}/devices/abc", json={"status": "ACTIVATED"}), codes.INVALID_ICCID)
    assert client.get(f"{API}/devices/{OTHER}").json()["status"] == "ACTIVATION_READY"
    with open_client(strict=True) as strict:
        assert_refused(strict.get(f"{API}/devices/{OTHER}"), codes.INVALID_ICCID)


def test_search_devices(client: TestClient) -> None:
    since = "2000-01-01T00:00:00+00:00"
    response = client.get(f"{API}/devices", params={"modifiedSince": since, "status": "ACTIVATION_READY"})
    assert response.json() == {
        "devices": [
            {
                "iccid": ICCID,
                "status": "ACTIVATION_READY",
                "ratePlan": "Alarm Panel 5MB",
                "communicationPlan": "CP_Basic_ON",
            }
        ],
        "pageNumber": 1,
        "lastPage": True,
    }
    assert_refused(client.get(f"{API}/devices"), codes.DATE_MISSING)
    # An unencoded "+" arrives as a space: the offset is lost and the date refused.
    assert_refused(
        client.get(f"{API}/devices?modifiedSince=2016-04-18T17:31:34+00:00"), codes.INVALID_DATE_FORMAT
    )
    assert_refused(
        client.get(f"{API}/devices", params={"modifiedSince": since, "pageSize": "500"}),
        codes.INVALID_PAGE_SIZE,
    )


def test_usage(client: TestClient) -> None:
    usage = client.get(f"{API}/devices/{ICCID}/ctdUsages").json()
    assert (usage["iccid"], usage["ctdDataUsage"], usage["overageLimitOverride"]) == (ICCID, 0, "DEFAULT")
    client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
    assert client.get(f"{API}/devices/{ICCID}/ctdUsages").json()["ctdDataUsage"] > 0
    assert_refused(
        client.get(f"{API}/devices/{ICCID}/ctdUsages", params={"cycleStartDate": "2026-13-01"}),
        codes.INVALID_DATE_FORMAT,
    )


def test_sms_round_trip(client: TestClient) -> None:
    response = client.post(f"{API}/devices/{ICCID}/smsMessages", json={"messageText": "arm"})
    assert response.status_code == 200
    sms_id = response.json()["smsMessageId"]
    assert isinstance(sms_id, int)
    details = client.get(f"{API}/smsMessages/{sms_id}").json()
    assert (details["smsMsgId"], details["status"], details["senderLogin"]) == (sms_id, "Pending", "demo")
    client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
    assert client.get(f"{API}/smsMessages/{sms_id}").json()["status"] == "Delivered"
    assert_refused(client.get(f"{API}/smsMessages/42"), codes.SMS_NOT_FOUND)
    assert_refused(client.get(f"{API}/smsMessages/abc"), codes.SMS_NOT_FOUND)
    too_long = {"messageText": "x" * 161}
    assert_refused(client.post(f"{API}/devices/{ICCID}/smsMessages", json=too_long), codes.MESSAGE_TOO_LONG)


def test_rate_plans_echo_and_api_version(client: TestClient) -> None:
    plans = client.get(f"{API}/rateplans").json()
    assert plans["lastPage"] is True
    assert "Alarm Panel 5MB" in [plan["name"] for plan in plans["ratePlans"]]
    assert client.get(f"{API}/echo/hello").json() == {"param": "hello"}
    assert_refused(client.get("/rws/api/v2/echo/hello"), codes.INVALID_API_VERSION)


# --- gateway: faults, limiter, call log ------------------------------------------------------------


def test_down_answers_503_plain_but_admin_still_works(client: TestClient) -> None:
    assert client.put("/_admin/faults", json={"down": True}).status_code == 200
    response = client.get(f"{API}/echo/x")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/plain")
    assert "errorCode" not in response.text
    assert client.get("/_admin/sims").status_code == 200


def test_fail_rate_answers_500_unknown_server_error() -> None:
    with open_client(faults=Faults(fail_rate=1)) as client:
        assert_refused(client.get(f"{API}/echo/x"), codes.UNKNOWN_SERVER_ERROR)
        assert client.get("/_admin/faults").status_code == 200  # admin: no faults


def test_seeded_faults_repeat() -> None:
    def outcomes() -> list[int]:
        with open_client(seed=3, faults=Faults(fail_rate=0.5)) as client:
            return [client.get(f"{API}/echo/x").status_code for _ in range(30)]

    first = outcomes()
    assert first == outcomes()
    assert {200, 500} == set(first)


def test_timeout_fault_hangs_then_answers_500() -> None:
    with open_client(faults=Faults(timeout_rate=1, hang_seconds=0.1)) as client:
        started = time.monotonic()
        response = client.get(f"{API}/echo/x")
        assert time.monotonic() - started >= 0.1
        assert_refused(response, codes.UNKNOWN_SERVER_ERROR)


def test_latency_is_added_to_api_calls_only() -> None:
    with open_client(faults=Faults(latency_ms=150)) as client:
        started = time.monotonic()
        client.get(f"{API}/echo/x")
        assert time.monotonic() - started >= 0.15
        started = time.monotonic()
        client.get("/_admin/faults")
        assert time.monotonic() - started < 0.15


def test_rate_limit_counts_one_second_windows() -> None:
    clock = FakeClock()
    with open_client(clock, faults=Faults(rate_limit=2)) as client:
        answers = [client.get(f"{API}/echo/x") for _ in range(3)]
        assert [r.status_code for r in answers[:2]] == [200, 200]
        assert_refused(answers[2], codes.RATE_LIMIT_EXCEEDED)
        assert client.get("/_admin/calls").status_code == 200  # admin: not limited
        clock.advance(1)
        assert client.get(f"{API}/echo/x").status_code == 200


def test_unauthenticated_calls_are_not_counted_against_the_account() -> None:
    with open_client(FakeClock(), faults=Faults(rate_limit=1)) as client:
        for _ in range(3):
            client.get(f"{API}/echo/x", headers={"Authorization": ""})
        assert client.get(f"{API}/echo/x").status_code == 200


def test_call_log_records_each_api_call(client: TestClient) -> None:
    client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
    client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
    client.get(f"{API}/echo/x", headers={"Authorization": "Basic " + base64.b64encode(b"eve:x").decode()})
    calls = client.get("/_admin/calls").json()
    assert calls["next"] == 3
    ok, refused, intruder = calls["calls"]
    assert (ok["method"], ok["path"], ok["iccid"], ok["status"], ok["errorCode"], ok["userName"]) == (
        "PUT",
        f"{API}/devices/{ICCID}",
        ICCID,
        200,
        None,
        "demo",
    )
    assert (refused["status"], refused["errorCode"]) == (400, codes.ALREADY_ACTIVATED)
    assert (intruder["status"], intruder["errorCode"], intruder["userName"]) == (401, "10000001", "eve")
    assert {"index", "monotonic", "wall", "durationMs"} <= ok.keys()
    assert [c["index"] for c in client.get("/_admin/calls", params={"since": 2}).json()["calls"]] == [2]
    assert client.delete("/_admin/calls").json() == {"cleared": 3}
    assert client.get("/_admin/calls").json() == {"calls": [], "next": 3}
    assert client.get("/_admin/calls", params={"since": "-1"}).status_code == 422


def test_drop_fault_applies_the_change_but_withholds_the_answer() -> None:
    with open_client(faults=Faults(drop_rate=1, hang_seconds=0.1)) as client:
        started = time.monotonic()
        response = client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"})
        assert time.monotonic() - started >= 0.1
        assert response.status_code == 502
        assert "errorCode" not in response.text
        client.put("/_admin/faults", json={"drop_rate": 0})
        assert client.get(f"{API}/devices/{ICCID}").json()["status"] == "ACTIVATED"
        dropped, read = client.get("/_admin/calls").json()["calls"]
        assert (dropped["status"], dropped["fault"]) == (200, "drop")  # the withheld answer
        assert (read["status"], read["fault"]) == (200, None)


def test_call_log_names_injected_faults() -> None:
    with open_client(faults=Faults(fail_rate=1)) as client:
        client.get(f"{API}/echo/x")
        client.put("/_admin/faults", json={"fail_rate": 0, "down": True})
        client.get(f"{API}/echo/x")
        faults = [call["fault"] for call in client.get("/_admin/calls").json()["calls"]]
        assert faults == ["fail", "down"]


def test_scripted_errors_answer_the_next_calls_on_their_iccid(client: TestClient) -> None:
    body = [
        {"iccid": ICCID, "errorCode": codes.ROLE_FORBIDDEN},
        {"iccid": ICCID, "errorCode": codes.RATE_LIMIT_EXCEEDED, "count": 2},
    ]
    added = client.post("/_admin/errors", json=body).json()
    assert added["queued"] == 3
    assert client.get("/_admin/errors").json() == {
        ICCID: [codes.ROLE_FORBIDDEN, codes.RATE_LIMIT_EXCEEDED, codes.RATE_LIMIT_EXCEEDED]
    }
    assert client.get(f"{API}/devices/{OTHER}").status_code == 200  # another SIM: untouched
    assert_refused(client.put(f"{API}/devices/{ICCID}", json={"status": "ACTIVATED"}), codes.ROLE_FORBIDDEN)
    assert_refused(client.get(f"{API}/devices/{ICCID}"), codes.RATE_LIMIT_EXCEEDED)
    assert client.delete("/_admin/errors").json() == {"cleared": 1}
    assert client.get(f"{API}/devices/{ICCID}").json()["status"] == "ACTIVATION_READY"  # not applied
    logged = [(c["errorCode"], c["fault"]) for c in client.get("/_admin/calls").json()["calls"]]
    assert logged == [
        (None, None),
        (codes.ROLE_FORBIDDEN, "error"),
        (codes.RATE_LIMIT_EXCEEDED, "error"),
        (None, None),
    ]


def test_admin_errors_refuse_bad_bodies(client: TestClient) -> None:
    for body in (
        {"iccid": ICCID},
        [{"iccid": ICCID, "errorCode": "1"}],
        [{"iccid": "x", "errorCode": "30000001"}],
    ):
        assert client.post("/_admin/errors", json=body).status_code == 422
    assert (
        client.post("/_admin/errors", content=b"[", headers={"Content-Type": "application/json"}).status_code
        == 422
    )
    assert client.get("/_admin/errors").json() == {}


# --- admin -----------------------------------------------------------------------------------------


def test_admin_faults_partial_update_and_validation(client: TestClient) -> None:
    response = client.put("/_admin/faults", json={"latency_ms": 10, "rate_limit": 5})
    assert (response.json()["latency_ms"], response.json()["rate_limit"]) == (10, 5)
    assert simulator_of(client).faults.latency_ms == 10
    for body in ({"fail_rate": 1.5}, {"hang_seconds": -1}, {"down": "yes"}, {"nope": 1}, [1]):
        assert client.put("/_admin/faults", json=body).status_code == 422
    bad_json = client.put("/_admin/faults", content=b"{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert client.get("/_admin/faults").json()["latency_ms"] == 10


def test_admin_sims_add_list_and_reset(client: TestClient) -> None:
    added = client.post("/_admin/sims", json=[{"iccid": OTHER, "status": "ACTIVATED"}])
    assert added.json() == {"added": 1, "iccids": [OTHER]}
    assert [s["iccid"] for s in client.get("/_admin/sims").json()] == [ICCID, OTHER]
    bad = client.post("/_admin/sims", json=[{"iccid": "1", "status": "ACTIVATED"}])
    assert bad.status_code == 422
    assert "iccid" in bad.json()["detail"]
    assert client.post("/_admin/sims", json={"iccid": OTHER}).status_code == 422
    client.get(f"{API}/echo/x")
    assert client.post("/_admin/reset").json() == {"sims": 1}
    assert [s["iccid"] for s in client.get("/_admin/sims").json()] == [ICCID]
    assert client.get("/_admin/calls").json()["calls"] == []


# --- robustness: nothing a caller sends may cause a 500 --------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=12,
)
edit_bodies = st.dictionaries(
    st.sampled_from(
        [
            "status",
            "ratePlan",
            "communicationPlan",
            "effectiveDate",
            "accountCustom1",
            "ipv4Address",
            "apn",
            "pdpId",
            "overageLimitOverride",
            "other",
        ]
    ),
    json_values | st.sampled_from(["ACTIVATED", "DEACTIVATED", "2026-01-01Z", "Alarm Panel 20MB"]),
)


# Module-scoped client: one app for all examples. No example database: nothing written to the repo.
FUZZ = settings(max_examples=100, deadline=None, database=None)


@pytest.fixture(scope="module")
def robust_client() -> Iterator[TestClient]:
    with open_client(strict=False) as client:
        yield client


@FUZZ
@given(body=edit_bodies | json_values, iccid=st.sampled_from([ICCID, OTHER, "1", "x" * 30]))
def test_no_edit_body_causes_a_500(robust_client: TestClient, body: object, iccid: str) -> None:
    response = robust_client.put(f"{API}/devices/{iccid}", json=body)
    assert response.status_code in {200, 202, 400, 404}
    assert "errorCode" in response.json() or response.status_code < 300


@FUZZ
@given(
    body=json_values,
    params=st.dictionaries(
        st.sampled_from(
            [
                "modifiedSince",
                "modifiedTill",
                "status",
                "pageSize",
                "pageNumber",
                "cycleStartDate",
                "messageEncoding",
            ]
        ),
        st.text(max_size=30),
    ),
)
def test_no_sms_body_or_query_causes_a_500(
    robust_client: TestClient, body: object, params: dict[str, str]
) -> None:
    assert robust_client.post(f"{API}/devices/{ICCID}/smsMessages", json=body).status_code < 500
    assert robust_client.get(f"{API}/devices", params=params).status_code < 500
    assert robust_client.get(f"{API}/devices/{ICCID}/ctdUsages", params=params).status_code < 500
    assert robust_client.get(f"{API}/smsMessages/5000001", params=params).status_code < 500


@FUZZ
@given(body=json_values)
def test_no_admin_body_causes_a_500(robust_client: TestClient, body: object) -> None:
    assert robust_client.put("/_admin/faults", json=body).status_code in {200, 422}
    assert robust_client.post("/_admin/sims", json=body).status_code in {200, 422}
    assert robust_client.post("/_admin/errors", json=body).status_code in {200, 422}
    robust_client.delete("/_admin/errors")
    robust_client.put(
        "/_admin/faults",
        json={
            "down": False,
            "fail_rate": 0,
            "timeout_rate": 0,
            "latency_ms": 0,
            "rate_limit": 0,
            "apply_delay_ms": 0,
            "drop_rate": 0,
        },
    )


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/echo/%ED%A0%80",  # an encoded lone surrogate
        f"{API}/echo/\u2603",
        f"{API}/devices/%00",
        f"{API}/devices/{ICCID}/ctdUsages?cycleStartDate=%FF",
        f"{API}/devices?modifiedSince=9999-12-31T23:59:59-14:00",
        f"{API}/devices?modifiedSince=0001-01-01T00:00:00%2B14:00",
        f"{API}/unknown",
        "/rws/api/",
        f"{API}",
    ],
)
def test_odd_paths_do_not_cause_a_500(client: TestClient, path: str) -> None:
    assert client.get(path).status_code < 500


def test_a_surrogate_in_a_stored_field_still_encodes(client: TestClient) -> None:
    body = b'{"accountCustom1": "\\ud800"}'
    assert client.put(f"{API}/devices/{ICCID}", content=body).status_code == 200
    assert client.get(f"{API}/devices/{ICCID}").status_code == 200
    assert client.post("/_admin/sims", content=b'[{"\\ud800": 1}]').status_code == 422
