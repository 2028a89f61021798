"""Unit tests of the Control Center client against a fake carrier (httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
import pickle
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from carriers.control_center_rest.client import (
    ControlCenterApi,
    SimSummary,
    StatusChange,
    parse_carrier_datetime,
)
from carriers.control_center_rest.codes import (
    ALREADY_ACTIVATED,
    ERROR_CODES,
    INVALID_CREDENTIALS,
    INVALID_ICCID,
    RATE_LIMIT_EXCEEDED,
    ErrorCode,
)
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)

BASE = "https://restapi1.jasper.com/rws/api/v1"
USER = "commissioner-api"
API_KEY = "a1b2c3d4-secret-api-key-e5f6a7b8"
BASIC = base64.b64encode(f"{USER}:{API_KEY}".encode()).decode()
ICCID = "8988216716970004975"

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeCarrier:
    """Answers requests from a queue and records them."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


@pytest.fixture
def carrier() -> FakeCarrier:
    return FakeCarrier()


@pytest.fixture
def client(carrier: FakeCarrier) -> Iterator[ControlCenterApi]:
    with ControlCenterApi(BASE + "/", USER, API_KEY, transport=httpx.MockTransport(carrier)) as jasper:
        yield jasper


def ok(payload: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload)


def carrier_error(status: int, code: str | None, message: str = "Some message.") -> httpx.Response:
    body: dict[str, str] = {"errorMessage": message}
    if code is not None:
        body["errorCode"] = code
    return httpx.Response(status, json=body)


def raising(exc_type: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)

    return handler


DEVICE = {
    "iccid": ICCID,
    "imsi": "901161697004975",
    "status": "ACTIVATED",
    "ratePlan": "hphlr rp1",
    "communicationPlan": "CP_Basic_ON",
    "customer": None,
    "dateActivated": "2016-06-29 00:21:33.339+0000",
    "dateAdded": "2014-07-22 23:31:46.571+0000",
    "dateUpdated": "2016-07-06 22:04:04.380+0000",
    "accountId": "100020620",
    "euiccid": "something new",
}


# -- request shape -----------------------------------------------------------------------------


def test_get_device_sends_authenticated_json_get(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok(DEVICE))

    client.get_sim(ICCID)

    request = carrier.last
    assert request.method == "GET"
    assert str(request.url) == f"{BASE}/devices/{ICCID}"
    assert request.headers["Authorization"] == f"Basic {BASIC}"
    assert request.headers["Accept"] == "application/json"


def test_set_status_puts_the_status(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"iccid": ICCID}))

    client.set_status(ICCID, "DEACTIVATED")

    request = carrier.last
    assert (request.method, request.url.path) == ("PUT", f"/rws/api/v1/devices/{ICCID}")
    assert json.loads(request.content) == {"status": "DEACTIVATED"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == f"Basic {BASIC}"


def test_set_rate_plan_puts_the_rate_plan(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"iccid": ICCID}))

    assert client.set_rate_plan(ICCID, "Alarm 1MB").change is StatusChange.APPLIED

    assert carrier.last.method == "PUT"
    assert json.loads(carrier.last.content) == {"ratePlan": "Alarm 1MB"}


def test_send_sms_posts_the_text(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"smsMessageId": "4242"}))

    client.send_sms(ICCID, "RESET")

    request = carrier.last
    assert (request.method, request.url.path) == (
        "POST",
        f"/rws/api/v1/devices/{ICCID}/smsMessages",
    )
    assert json.loads(request.content) == {"messageText": "RESET"}


def test_echo_calls_the_echo_endpoint(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"context": "commissioner"}))

    client.check_connection()

    assert carrier.last.method == "GET"
    assert carrier.last.url.path == "/rws/api/v1/echo/commissioner"


def test_get_usage_reads_cycle_to_date_usage(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(
        ok(
            {
                "iccid": ICCID,
                "ctdDataUsage": 1048576,
                "ctdSMSUsage": 3,
                "ctdVoiceUsage": 0,
                "ctdSessionCount": "12",
                "overageLimitReached": False,
                "overageLimitOverride": "DEFAULT",
            }
        )
    )

    usage = client.get_usage(ICCID, cycle_start=date(2024, 5, 1))

    assert carrier.last.url.path == f"/rws/api/v1/devices/{ICCID}/ctdUsages"
    assert carrier.last.url.params["cycleStartDate"] == "2024-05-01"
    assert (usage.data_bytes, usage.sms_count, usage.voice_seconds) == (1048576, 3, 0)
    assert usage.session_count == 12
    assert usage.overage_limit_reached is False
    assert usage.overage_limit_override == "DEFAULT"


def test_get_usage_without_cycle_start_sends_no_query(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"iccid": ICCID}))

    usage = client.get_usage(ICCID)

    assert carrier.last.url.query == b""
    assert usage.data_bytes is None
    assert usage.overage_limit_reached is None


def test_get_sms_reads_the_message(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(
        ok(
            {
                "smsMsgId": 4242,
                "status": "Delivered",
                "messageText": "RESET",
                "senderLogin": USER,
                "sentTo": ICCID,
                "msgType": "MT",
                "dateSent": "2024-05-01 10:00:00.000+0000",
                "dateModified": "garbage",
            }
        )
    )

    sms = client.get_sms("4242")

    assert carrier.last.url.path == "/rws/api/v1/smsMessages/4242"
    assert (sms.sms_id, sms.status, sms.message_text, sms.msg_type) == (
        "4242",
        "Delivered",
        "RESET",
        "MT",
    )
    assert sms.date_sent == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert sms.date_modified is None
    assert sms.date_received is None


def test_unsafe_iccid_is_refused_before_sending(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    with pytest.raises(CarrierRejected, match="not valid") as caught:
        client.set_status("../echo/x", "ACTIVATED")

    assert carrier.requests == []
    assert caught.value.http_status is None
    assert caught.value.operation == "set_status"


def test_unsafe_sms_id_is_refused_before_sending(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    with pytest.raises(CarrierRejected, match="SMS message id"):
        client.get_sms("1?x=2")

    assert carrier.requests == []


# -- edit outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "expected"), [(200, StatusChange.APPLIED), (202, StatusChange.ACCEPTED)])
def test_set_status_reports_applied_or_accepted(
    client: ControlCenterApi, carrier: FakeCarrier, status: int, expected: StatusChange
) -> None:
    carrier.answer(ok({"iccid": ICCID}, status=status))

    assert client.set_status(ICCID, "ACTIVATED").change is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mon, 23 Nov 2026 05:00:07 GMT", datetime(2026, 11, 23, 5, 0, 7, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_an_edit_carries_the_carriers_clock_from_its_date_header(
    client: ControlCenterApi, carrier: FakeCarrier, header: str | None, expected: datetime | None
) -> None:
    headers = {"Date": header} if header else {}
    carrier.answer(httpx.Response(200, json={"iccid": ICCID}, headers=headers))

    assert client.set_status(ICCID, "DEACTIVATED").carrier_time == expected


def test_set_status_treats_already_activated_as_success(
    client: ControlCenterApi, carrier: FakeCarrier
) -> None:
    entry = ERROR_CODES[ALREADY_ACTIVATED]
    carrier.answer(carrier_error(entry.http_status, ALREADY_ACTIVATED, entry.carrier_message))

    assert client.set_status(ICCID, "ACTIVATED").change is StatusChange.ALREADY


def test_already_activated_on_a_deactivation_is_an_error(
    client: ControlCenterApi, carrier: FakeCarrier
) -> None:
    # "Already activated" in answer to DEACTIVATED means the SIM is still on: not success.
    carrier.answer(carrier_error(400, ALREADY_ACTIVATED))

    with pytest.raises(CarrierRejected, match=ALREADY_ACTIVATED):
        client.set_status(ICCID, "DEACTIVATED")


def test_error_code_in_a_2xx_answer_is_still_an_error(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(carrier_error(202, "1000512", "SIM is not in Purged State"))

    with pytest.raises(CarrierRejected, match="1000512") as caught:
        client.set_status(ICCID, "DEACTIVATED")

    assert caught.value.http_status == 202


# -- error mapping -----------------------------------------------------------------------------


def expected_class(entry: ErrorCode) -> type[CarrierError]:
    if entry.code == RATE_LIMIT_EXCEEDED:
        return CarrierRateLimited
    if entry.code == INVALID_CREDENTIALS or entry.http_status == 401:
        return CarrierAuthFailed
    if entry.http_status >= 500:
        return CarrierUnavailable
    return CarrierRejected


@pytest.mark.parametrize("entry", ERROR_CODES.values(), ids=ERROR_CODES.keys())
def test_every_catalogued_code_maps_to_its_class_and_message(
    client: ControlCenterApi, carrier: FakeCarrier, entry: ErrorCode
) -> None:
    carrier.answer(carrier_error(entry.http_status, entry.code, entry.carrier_message))

    with pytest.raises(CarrierError) as caught:
        client.get_sim(ICCID)

    error = caught.value
    assert type(error) is expected_class(entry)
    assert (error.error_code, error.http_status) == (entry.code, entry.http_status)
    assert (error.operation, error.iccid) == ("get_sim", ICCID)
    for part in (entry.code, f"HTTP {entry.http_status}", entry.carrier_message, ICCID):
        assert part in error.message
    assert entry.explanation in error.message
    assert str(error) == error.message


def test_uncatalogued_code_is_rejected_with_its_code(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(carrier_error(400, "99999999", "Something new."))

    with pytest.raises(CarrierRejected) as caught:
        client.get_sim(ICCID)

    assert type(caught.value) is CarrierRejected
    assert "99999999" in str(caught.value)
    assert "Something new." in str(caught.value)
    assert "not in our catalogue" in str(caught.value)


@pytest.mark.parametrize("status", [200, 400, 403, 429, 500, 503])
def test_rate_limit_code_is_rate_limited_whatever_the_status(
    client: ControlCenterApi, carrier: FakeCarrier, status: int
) -> None:
    carrier.answer(carrier_error(status, RATE_LIMIT_EXCEEDED, "Rate Limit Exceeded"))

    with pytest.raises(CarrierRateLimited) as caught:
        client.get_sim(ICCID)

    assert isinstance(caught.value, CarrierUnavailable)
    assert caught.value.error_code == RATE_LIMIT_EXCEEDED
    assert caught.value.retry_after is None


def test_http_429_is_rate_limited_and_reads_retry_after(
    client: ControlCenterApi, carrier: FakeCarrier
) -> None:
    carrier.answer(httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"))

    with pytest.raises(CarrierRateLimited) as caught:
        client.set_status(ICCID, "ACTIVATED")

    assert caught.value.retry_after == 7.0
    assert caught.value.http_status == 429
    assert caught.value.error_code is None
    assert "wait 7 s" in str(caught.value)


def test_retry_after_as_http_date(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(
        httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, json={}),
        httpx.Response(429, headers={"Retry-After": "soon"}),
    )

    with pytest.raises(CarrierRateLimited) as in_the_past:
        client.get_sim(ICCID)
    with pytest.raises(CarrierRateLimited) as unreadable:
        client.get_sim(ICCID)

    assert in_the_past.value.retry_after == 0.0
    assert unreadable.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unavailable(client: ControlCenterApi, carrier: FakeCarrier, status: int) -> None:
    carrier.answer(httpx.Response(status, text="<html>Service Unavailable</html>"))

    with pytest.raises(CarrierUnavailable) as caught:
        client.get_sim(ICCID)

    assert type(caught.value) is CarrierUnavailable
    assert caught.value.http_status == status
    assert f"HTTP {status}" in str(caught.value)


def test_spring_401_without_code_is_auth_failure(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(
        httpx.Response(
            401,
            json={
                "error": "unauthorized",
                "error_description": "Full authentication is required to access this resource",
            },
        )
    )

    with pytest.raises(CarrierAuthFailed) as caught:
        client.check_connection()

    assert caught.value.error_code is None
    assert "Full authentication is required" in str(caught.value)
    assert "API key" in str(caught.value)


def test_html_404_from_a_wrong_host_is_rejected(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(
        httpx.Response(
            404,
            headers={"Content-Type": "text/html; charset=utf-8"},
            text="<html><body>Not Found</body></html>",
        )
    )

    with pytest.raises(CarrierRejected) as caught:
        client.get_sim(ICCID)

    assert type(caught.value) is CarrierRejected
    assert caught.value.http_status == 404
    assert "non-JSON" in str(caught.value)
    assert "text/html" in str(caught.value)
    assert "server address" in str(caught.value)
    assert "<html>" not in str(caught.value)


def test_empty_4xx_is_rejected(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(httpx.Response(400))

    with pytest.raises(CarrierRejected, match="empty answer"):
        client.get_sim(ICCID)


def test_redirect_is_rejected_and_not_followed(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(httpx.Response(301, headers={"Location": "https://login.example.com/sso?next=x"}))

    with pytest.raises(CarrierRejected) as caught:
        client.set_status(ICCID, "ACTIVATED")

    assert len(carrier.requests) == 1
    assert caught.value.http_status == 301
    assert "redirects" in str(caught.value)
    assert "https://login.example.com/sso" in str(caught.value)
    assert "next=x" not in str(caught.value)


def test_2xx_that_is_not_json_is_rejected(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(httpx.Response(200, text="<html>Control Center login</html>"))

    with pytest.raises(CarrierRejected, match="not a JSON object"):
        client.check_connection()


def test_device_answer_without_status_is_rejected(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"iccid": ICCID}))

    with pytest.raises(CarrierRejected, match="no SIM status"):
        client.get_sim(ICCID)


# -- no answer at all --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc_type", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.WriteTimeout, httpx.PoolTimeout]
)
def test_timeouts_are_unavailable(
    client: ControlCenterApi, carrier: FakeCarrier, exc_type: type[httpx.TransportError]
) -> None:
    carrier.answer(raising(exc_type))

    with pytest.raises(CarrierUnavailable) as caught:
        client.get_sim(ICCID)

    error = caught.value
    assert type(error) is CarrierUnavailable
    assert "timed out" in str(error)
    assert (error.http_status, error.error_code) == (None, None)
    assert isinstance(error.__cause__, exc_type)


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError])
def test_connection_errors_are_unavailable(
    client: ControlCenterApi, carrier: FakeCarrier, exc_type: type[httpx.TransportError]
) -> None:
    carrier.answer(raising(exc_type))

    with pytest.raises(CarrierUnavailable, match="unreachable") as caught:
        client.get_sim(ICCID)

    assert "restapi1.jasper.com" in str(caught.value)


def test_timed_out_put_may_have_been_applied(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(raising(httpx.ReadTimeout))

    with pytest.raises(CarrierUnavailable, match="may or may not have been applied"):
        client.set_status(ICCID, "DEACTIVATED")


def test_put_that_never_connected_was_not_applied(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(raising(httpx.ConnectError))

    with pytest.raises(CarrierUnavailable, match="Nothing was changed"):
        client.set_status(ICCID, "DEACTIVATED")


def test_timed_out_sms_may_have_been_sent(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(raising(httpx.ReadTimeout))

    with pytest.raises(CarrierUnavailable, match="may or may not have been sent"):
        client.send_sms(ICCID, "RESET")


# -- lenient parsing ---------------------------------------------------------------------------


def test_get_device_parses_the_documented_answer(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok(DEVICE))

    device = client.get_sim(ICCID)

    assert device.iccid == ICCID
    assert device.status == "ACTIVATED"
    assert (device.rate_plan, device.communication_plan) == ("hphlr rp1", "CP_Basic_ON")
    assert device.date_activated == datetime(2016, 6, 29, 0, 21, 33, 339000, tzinfo=UTC)
    assert device.date_added == datetime(2014, 7, 22, 23, 31, 46, 571000, tzinfo=UTC)
    assert device.raw["euiccid"] == "something new"


def test_get_device_keeps_unknown_statuses_and_tolerates_odd_dates(
    client: ControlCenterApi, carrier: FakeCarrier
) -> None:
    carrier.answer(
        ok(
            {
                "iccid": ICCID,
                "status": "ONHOLD",
                "ratePlan": None,
                "dateActivated": None,
                "dateAdded": "not a date",
                "dateUpdated": 1467842644380,
            }
        )
    )

    device = client.get_sim(ICCID)

    assert device.status == "ONHOLD"
    assert device.rate_plan is None
    assert device.communication_plan is None
    assert (device.date_activated, device.date_added, device.date_updated) == (None, None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-06-29 00:21:33.339+0000", datetime(2016, 6, 29, 0, 21, 33, 339000, tzinfo=UTC)),
        ("2016-06-29 00:21:33+0000", datetime(2016, 6, 29, 0, 21, 33, tzinfo=UTC)),
        ("2016-06-29T00:21:33Z", datetime(2016, 6, 29, 0, 21, 33, tzinfo=UTC)),
        ("2016-06-29 00:21:33", datetime(2016, 6, 29, 0, 21, 33, tzinfo=UTC)),
        (
            "2016-06-29 02:21:33.000+0200",
            datetime(2016, 6, 29, 2, 21, 33, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("", None),
        ("   ", None),
        ("29/06/2016", None),
        (None, None),
        (12345, None),
    ],
)
def test_parse_carrier_datetime(value: object, expected: datetime | None) -> None:
    assert parse_carrier_datetime(value) == expected


# -- paging ------------------------------------------------------------------------------------


def page(number: int, iccids: list[str], *, last: object) -> httpx.Response:
    devices = [{"iccid": i, "status": "ACTIVATED", "ratePlan": "rp"} for i in iccids]
    return ok({"pageNumber": number, "devices": devices, "lastPage": last})


def test_search_devices_follows_pages_until_the_last(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(page(1, ["1", "2"], last=False), page(2, ["3"], last="false"), page(3, ["4"], last=True))
    since = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

    found = list(client.changed_since(since, status="ACTIVATED"))

    assert [d.iccid for d in found] == ["1", "2", "3", "4"]
    assert found[0] == SimSummary("1", "ACTIVATED", "rp", None, raw={})
    assert [r.url.params["pageNumber"] for r in carrier.requests] == ["1", "2", "3"]
    first = carrier.requests[0]
    assert first.url.path == "/rws/api/v1/devices"
    assert first.url.params["modifiedSince"] == "2024-05-01T12:30:00+00:00"
    assert b"modifiedSince=2024-05-01T12%3A30%3A00%2B00%3A00" in first.url.query
    assert first.url.params["status"] == "ACTIVATED"
    assert first.url.params["pageSize"] == "50"


def test_search_devices_stops_when_last_page_is_missing(
    client: ControlCenterApi, carrier: FakeCarrier
) -> None:
    carrier.answer(ok({"devices": [{"iccid": "1", "status": "X"}, {"no": "iccid"}, "junk"]}))

    found = list(client.changed_since(datetime(2024, 5, 1, tzinfo=UTC)))

    assert [d.iccid for d in found] == ["1"]
    assert len(carrier.requests) == 1
    assert "status" not in carrier.requests[0].url.params


def test_search_devices_stops_on_an_empty_page(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(page(1, [], last=False))

    assert list(client.changed_since(datetime(2024, 5, 1, tzinfo=UTC))) == []
    assert len(carrier.requests) == 1


def test_search_devices_needs_an_aware_datetime(client: ControlCenterApi) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        client.changed_since(datetime(2024, 5, 1))


def test_list_rate_plans_reads_every_page(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(
        ok({"ratePlans": [{"name": "Alarm 1MB"}, "Alarm 5MB"], "lastPage": False}),
        ok({"ratePlans": [{"ratePlanName": "Alarm 10MB"}, {"id": 3}], "lastPage": True}),
    )

    assert client.list_rate_plans() == ["Alarm 1MB", "Alarm 5MB", "Alarm 10MB"]
    assert carrier.requests[1].url.params["pageNumber"] == "2"
    assert carrier.requests[0].url.path == "/rws/api/v1/rateplans"


# -- SMS ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [{"smsMessageId": "4242"}, {"smsMsgId": "4242"}, {"smsMessageId": 4242}],
)
def test_send_sms_accepts_both_id_keys(
    client: ControlCenterApi, carrier: FakeCarrier, answer: dict[str, object]
) -> None:
    carrier.answer(ok(answer))

    assert client.send_sms(ICCID, "RESET") == "4242"


def test_send_sms_without_an_id_is_rejected(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(ok({"iccid": ICCID}))

    with pytest.raises(CarrierRejected, match="no SMS message id"):
        client.send_sms(ICCID, "RESET")


# -- construction ------------------------------------------------------------------------------


def test_server_address_trailing_slash_is_stripped(carrier: FakeCarrier) -> None:
    carrier.answer(ok(DEVICE))
    transport = httpx.MockTransport(carrier)

    with ControlCenterApi(BASE + "//", USER, API_KEY, transport=transport) as jasper:
        jasper.get_sim(ICCID)

    assert str(carrier.last.url) == f"{BASE}/devices/{ICCID}"


@pytest.mark.parametrize(
    "address",
    ["restapi1.jasper.com/rws/api/v1", "ftp://restapi1.jasper.com", "https://", "https://h/?a=1"],
)
def test_bad_server_address_is_rejected(address: str) -> None:
    with pytest.raises(CarrierRejected, match="server address"):
        ControlCenterApi(address, USER, API_KEY)


def test_server_address_with_credentials_is_rejected_without_echoing_them() -> None:
    with pytest.raises(CarrierRejected) as caught:
        ControlCenterApi(f"https://{USER}:{API_KEY}@restapi1.jasper.com/rws/api/v1", USER, API_KEY)

    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)


@pytest.mark.parametrize(("user", "key"), [("", API_KEY), (USER, ""), (USER, "  ")])
def test_missing_credentials_fail_authentication(user: str, key: str) -> None:
    with pytest.raises(CarrierAuthFailed, match="empty"):
        ControlCenterApi(BASE, user, key)


def test_client_repr_holds_no_secret(client: ControlCenterApi) -> None:
    assert API_KEY not in repr(client)
    assert BASIC not in repr(client)


# -- exceptions --------------------------------------------------------------------------------


def test_errors_survive_pickling(client: ControlCenterApi, carrier: FakeCarrier) -> None:
    carrier.answer(httpx.Response(429, headers={"Retry-After": "3"}, json={}))
    with pytest.raises(CarrierRateLimited) as caught:
        client.get_sim(ICCID)

    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own bytes

    assert type(copy) is CarrierRateLimited
    assert (copy.message, copy.retry_after, copy.http_status, copy.iccid) == (
        caught.value.message,
        3.0,
        429,
        ICCID,
    )


def test_exception_tree() -> None:
    assert issubclass(CarrierRateLimited, CarrierUnavailable)
    assert issubclass(CarrierAuthFailed, CarrierRejected)
    assert not issubclass(CarrierRejected, CarrierUnavailable)
    assert not issubclass(CarrierUnavailable, CarrierRejected)


SECRET_SCENARIOS: list[tuple[str, Answer]] = [
    ("catalogued", carrier_error(404, INVALID_ICCID, "Resource not found - Invalid ICCID")),
    ("auth", carrier_error(401, INVALID_CREDENTIALS, f"Invalid credentials for {USER}")),
    ("echoes key", carrier_error(400, "10000028", f"Bad header Basic {BASIC} key {API_KEY}")),
    ("echoes key, no code", httpx.Response(500, json={"message": f"key={API_KEY}"})),
    ("html", httpx.Response(404, text=f"<html>{API_KEY}</html>")),
    ("rate limited", httpx.Response(429, json={"errorCode": RATE_LIMIT_EXCEEDED})),
    ("redirect", httpx.Response(302, headers={"Location": f"https://{USER}:{API_KEY}@x.org/"})),
    ("redirect to key", httpx.Response(302, headers={"Location": f"/login/{API_KEY}?k={API_KEY}"})),
    ("timeout", raising(httpx.ReadTimeout)),
    ("connect error", raising(httpx.ConnectError)),
]


@pytest.mark.parametrize("answer", [a for _, a in SECRET_SCENARIOS], ids=[n for n, _ in SECRET_SCENARIOS])
@pytest.mark.parametrize("operation", ["get", "put", "post"])
def test_no_error_ever_shows_the_credentials(
    client: ControlCenterApi, carrier: FakeCarrier, answer: Answer, operation: str
) -> None:
    carrier.answer(answer)
    calls: dict[str, Callable[[], object]] = {
        "get": lambda: client.get_sim(ICCID),
        "put": lambda: client.set_status(ICCID, "DEACTIVATED"),
        "post": lambda: client.send_sms(ICCID, "RESET"),
    }

    with pytest.raises(CarrierError) as caught:
        calls[operation]()

    error = caught.value
    shown = " ".join([str(error), repr(error), repr(error.args), repr(vars(error))])
    for secret in (API_KEY, BASIC, "Authorization"):
        assert secret not in shown
    assert ICCID in str(error)
