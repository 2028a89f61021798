"""Units of simulator/state.py: Control Center's rules, the limiter, faults and the call log."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carriers.control_center_rest import codes
from simulator.state import (
    AuthenticationRequired,
    CallFacts,
    CallLog,
    CarrierError,
    Clock,
    Faults,
    RateLimiter,
    ScriptedErrors,
    Simulator,
    SimulatorConfig,
    derived_identity,
    format_date,
    load_sims,
)

ICCID = "8988216716970004975"
OTHER = "89882167169700049760"  # 20 digits
START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SINCE = "2026-01-01T00:00:00Z"


class FakeClock(Clock):
    """Wall and monotonic time that move only when told."""

    def __init__(self, start: datetime = START) -> None:
        self.wall = start
        self.mono = 1_000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def make(
    sims: list[dict[str, Any]] | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> tuple[Simulator, FakeClock]:
    clock = clock or FakeClock()
    config = SimulatorConfig("demo", "secret", sims=sims or [], **options)
    return Simulator(config, clock), clock


def refused(code: str) -> Any:
    """pytest.raises for a CarrierError with `code`."""
    return pytest.raises(CarrierError, match=f"^{code}$")


def basic(user: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()


# --- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "key"), [("", "k"), ("a:b", "k"), ("demo", "")])
def test_config_rejects_unusable_credentials(user: str, key: str) -> None:
    with pytest.raises(ValueError, match="must be non-empty"):
        SimulatorConfig(user, key)


def test_config_hides_the_key_and_validates_sims() -> None:
    assert "secret" not in repr(SimulatorConfig("demo", "secret"))
    with pytest.raises(ValueError, match=r"SIM #1: iccid must be"):
        SimulatorConfig("demo", "secret", sims=[{"iccid": "123", "status": "ACTIVATED"}])


def test_faults_update_is_partial_and_validated() -> None:
    faults = Faults()
    faults.update({"latency_ms": 25, "down": True})
    assert (faults.latency_ms, faults.down, faults.fail_rate) == (25, True, 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"fail_rate": 1.5},
        {"timeout_rate": -0.1},
        {"latency_ms": float("nan")},
        {"hang_seconds": float("inf")},
        {"latency_ms": True},
        {"down": 1},
        {"rma_exchange_refused": "yes"},
        {"rate_limit": "5"},
        {"rate_limit": 0.001},
        {"apply_delay_ms": 10**12},
        {"surprise": 1},
    ],
)
def test_faults_refuse_bad_values_without_partial_change(changes: dict[str, object]) -> None:
    faults = Faults()
    with pytest.raises(ValueError, match=r"must be|unknown"):
        faults.update({"latency_ms": 5, **changes})
    assert faults == Faults()


def test_faults_constructor_validates() -> None:
    with pytest.raises(ValueError, match="fail_rate"):
        Faults(fail_rate=2)


# --- SIM files -------------------------------------------------------------------------------------


def test_load_sims_reads_a_list(tmp_path: Path) -> None:
    path = tmp_path / "sims.json"
    sims = [{"iccid": ICCID, "status": "ACTIVATED", "ratePlan": "Alarm Panel 20MB"}]
    path.write_text(json.dumps(sims))
    assert load_sims(path) == sims


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "not valid UTF-8 JSON"),
        ('{"iccid": "1"}', "expected a list"),
        (f'[{{"iccid": "{ICCID}", "status": "ON"}}]', "SIM #1: status must be one of"),
        (f'[{{"iccid": "{ICCID}", "status": "ACTIVATED", "colour": 1}}]', "unknown field"),
        (f'[{{"iccid": "{ICCID}", "status": "ACTIVATED", "ratePlan": ["x"]}}]', "ratePlan"),
        (f'[{{"iccid": "{ICCID}", "status": "ACTIVATED", "dateAdded": "soon"}}]', "dateAdded"),
        (f'[{{"iccid": "{ICCID}", "status": "ACTIVATED", "imei": 5}}]', "imei must be a string"),
        (
            f'[{{"iccid": "{ICCID}", "status": "ACTIVATED"}}, {{"iccid": "{ICCID}", "status": "ACTIVATED"}}]',
            "SIM #2: duplicate ICCID",
        ),
        ("[1]", "SIM #1: expected a JSON object"),
    ],
)
def test_load_sims_explains_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "sims.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_sims(path)


def test_load_sims_explains_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read SIM file"):
        load_sims(tmp_path / "absent.json")


def test_loaded_sim_keeps_given_fields_and_fills_the_rest() -> None:
    sim, _ = make(
        [
            {
                "iccid": ICCID,
                "status": "DEACTIVATED",
                "dateActivated": "2016-06-29 00:21:33.339+0000",
                "accountCustom1": "78",
                "modemID": "2221",
            }
        ]
    )
    device = sim.device(ICCID)
    assert device["dateActivated"] == "2016-06-29 00:21:33.339+0000"
    assert (device["accountCustom1"], device["modemID"]) == ("78", "2221")
    assert device["imsi"] == derived_identity(ICCID)["imsi"]
    assert device["dateAdded"] == device["dateUpdated"] == format_date(START)


# --- formats ---------------------------------------------------------------------------------------


def test_dates_use_control_center_format_in_utc() -> None:
    moment = datetime(2016, 6, 29, 2, 21, 33, 339_999, tzinfo=UTC) + timedelta(hours=0)
    assert format_date(moment) == "2016-06-29 02:21:33.339+0000"
    local = datetime.fromisoformat("2016-06-29T04:21:33.339+02:00")
    assert format_date(local) == "2016-06-29 02:21:33.339+0000"
    assert format_date(None) is None


def test_identity_is_derived_from_the_iccid() -> None:
    first, again = derived_identity(ICCID), derived_identity(ICCID)
    assert first == again
    assert len(first["imsi"]) == len(first["msisdn"]) == 15
    assert derived_identity(OTHER) != first


def test_device_details_have_the_documented_fields() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    device = sim.device(ICCID)
    documented = {
        "iccid",
        "imsi",
        "msisdn",
        "imei",
        "status",
        "ratePlan",
        "communicationPlan",
        "customer",
        "endConsumerId",
        "dateActivated",
        "dateAdded",
        "dateUpdated",
        "dateShipped",
        "accountId",
        "fixedIPAddress",
        "simNotes",
        "deviceID",
        "modemID",
        "globalSimType",
    }
    assert documented <= device.keys()
    assert device["dateActivated"] is None


# --- ICCIDs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("iccid", ["123", "898821671697000497", "8988216716970004975X", "\uff18" * 19])
def test_malformed_iccid_is_not_found(iccid: str) -> None:
    sim, _ = make()
    with refused(codes.INVALID_ICCID):
        sim.device(iccid)


def test_lenient_simulator_creates_unknown_sims_activation_ready() -> None:
    sim, _ = make()
    device = sim.device(OTHER)
    assert (device["status"], device["ratePlan"]) == ("ACTIVATION_READY", "Alarm Panel 5MB")
    assert [item["iccid"] for item in sim.sims()] == [OTHER]


def test_strict_simulator_knows_only_its_sims() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATED"}], strict=True)
    assert sim.device(ICCID)["status"] == "ACTIVATED"
    with refused(codes.INVALID_ICCID):
        sim.device(OTHER)


# --- status rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "once_activated", "target", "error"),
    [
        ("ACTIVATION_READY", False, "ACTIVATED", None),
        ("TEST_READY", False, "INVENTORY", None),
        ("INVENTORY", False, "ACTIVATION_READY", None),
        ("ACTIVATED", True, "DEACTIVATED", None),
        ("DEACTIVATED", True, "ACTIVATED", None),
        ("DEACTIVATED", True, "DEACTIVATED", None),
        ("ACTIVATED", True, "RETIRED", None),
        ("ACTIVATED", True, "ACTIVATED", codes.ALREADY_ACTIVATED),
        ("DEACTIVATED", True, "TEST_READY", codes.NO_RETURN_TO_PRE_ACTIVATION),
        ("DEACTIVATED", True, "INVENTORY", codes.NO_RETURN_TO_PRE_ACTIVATION),
        ("ACTIVATED", True, "ACTIVATION_READY", codes.NO_RETURN_TO_PRE_ACTIVATION),
        ("ACTIVATION_READY", False, "ON", codes.INVALID_STATUS),
        ("ACTIVATION_READY", False, "activated", codes.INVALID_STATUS),
        ("ACTIVATION_READY", False, 7, codes.INVALID_STATUS),
        ("ACTIVATION_READY", False, ["ACTIVATED"], codes.INVALID_STATUS),
    ],
)
def test_status_rules(start: str, once_activated: bool, target: object, error: str | None) -> None:
    loaded: dict[str, Any] = {"iccid": ICCID, "status": start}
    if once_activated:
        loaded["dateActivated"] = "2025-01-01T00:00:00+00:00"
    sim, _ = make([loaded])
    if error is None:
        assert sim.edit_device(ICCID, {"status": target}) is True
        assert sim.device(ICCID)["status"] == target
    else:
        with refused(error):
            sim.edit_device(ICCID, {"status": target})
        assert sim.device(ICCID)["status"] == start


def test_first_activation_sets_date_activated_once_and_changes_move_date_updated() -> None:
    sim, clock = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    clock.advance(60)
    sim.edit_device(ICCID, {"status": "ACTIVATED"})
    first = sim.device(ICCID)
    assert first["dateActivated"] == first["dateUpdated"] == format_date(clock.now())
    clock.advance(60)
    sim.edit_device(ICCID, {"status": "DEACTIVATED"})
    clock.advance(60)
    sim.edit_device(ICCID, {"status": "ACTIVATED"})
    again = sim.device(ICCID)
    assert again["dateActivated"] == first["dateActivated"]
    assert again["dateUpdated"] == format_date(clock.now())


def test_deactivating_a_deactivated_sim_is_a_harmless_no_op() -> None:
    sim, clock = make([{"iccid": ICCID, "status": "DEACTIVATED"}])
    before = sim.device(ICCID)
    clock.advance(60)
    assert sim.edit_device(ICCID, {"status": "DEACTIVATED"}) is True
    assert sim.device(ICCID) == before


def test_plans_and_documented_fields_can_be_edited() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATED"}])
    sim.edit_device(
        ICCID,
        {
            "ratePlan": "Alarm Panel 20MB",
            "communicationPlan": "CP_Off",
            "accountCustom3": "panel 7",
            "deviceID": None,
            "ipv4Address": "10.0.0.7",
            "apn": "alarm",
            "pdpId": "1",
        },
    )
    device = sim.device(ICCID)
    assert (device["ratePlan"], device["communicationPlan"]) == ("Alarm Panel 20MB", "CP_Off")
    assert (device["accountCustom3"], device["fixedIPAddress"]) == ("panel 7", "10.0.0.7")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, codes.MISSING_FIELDS),
        ({"effectiveDate": "2026-01-01Z"}, codes.MISSING_FIELDS),
        ({"status": "ACTIVATED", "colour": "red"}, codes.UNRECOGNISED_PARAMETER),
        ({"ratePlan": "Gold"}, codes.INVALID_RATE_PLAN),
        ({"ratePlan": {"name": "Gold"}}, codes.INVALID_RATE_PLAN),
        ({"communicationPlan": ""}, codes.UNRECOGNISED_PARAMETER),
        ({"accountCustom1": 5}, codes.UNRECOGNISED_PARAMETER),
        ({"overageLimitOverride": "ALWAYS"}, codes.INVALID_OVERAGE_OVERRIDE),
        ({"ipv4Address": "10.0.0.1"}, codes.MISSING_FIELDS),
        ({"status": "ACTIVATED", "effectiveDate": "tomorrow"}, codes.INVALID_DATE_FORMAT),
        ({"status": "ACTIVATED", "effectiveDate": 20260101}, codes.INVALID_DATE_FORMAT),
        ({"status": "ACTIVATED", "effectiveDate": "2026-12-01Z"}, codes.INVALID_DATE_FORMAT),
        ({"status": "ACTIVATED", "effectiveDate": "9999-12-31T23:59:59-14:00"}, codes.INVALID_DATE_FORMAT),
        ({"status": "ACTIVATED", "effectiveDate": "2026-01-20+25:00"}, codes.INVALID_DATE_FORMAT),
        (["status", "ACTIVATED"], codes.MALFORMED_JSON),
        ("ACTIVATED", codes.MALFORMED_JSON),
    ],
)
def test_bad_edits_are_refused(body: object, error: str) -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    with refused(error):
        sim.edit_device(ICCID, body)


# --- scheduled changes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "effective", ["2026-01-17Z", "2026-01-17", "2026-01-17+05:00", "2026-01-16T12:00:01Z"]
)
def test_future_effective_date_schedules_the_change(effective: str) -> None:
    sim, clock = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    assert sim.edit_device(ICCID, {"status": "ACTIVATED", "effectiveDate": effective}) is False
    assert sim.device(ICCID)["status"] == "ACTIVATION_READY"
    clock.advance(2 * 24 * 3600)
    assert sim.device(ICCID)["status"] == "ACTIVATED"


def test_past_effective_date_applies_at_once() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    assert sim.edit_device(ICCID, {"status": "ACTIVATED", "effectiveDate": "2026-01-15Z"}) is True
    assert sim.device(ICCID)["status"] == "ACTIVATED"


def test_apply_delay_shows_the_change_only_after_the_delay() -> None:
    sim, clock = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}], faults=Faults(apply_delay_ms=500))
    put_at = clock.now()
    assert sim.edit_device(ICCID, {"status": "ACTIVATED"}) is False
    clock.advance(0.499)
    assert sim.device(ICCID)["status"] == "ACTIVATION_READY"
    clock.advance(0.001)
    device = sim.device(ICCID)
    assert device["status"] == "ACTIVATED"
    assert device["dateUpdated"] == format_date(put_at + timedelta(milliseconds=500))


def test_a_repeated_delayed_activation_is_dropped_not_applied_twice() -> None:
    sim, clock = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}], faults=Faults(apply_delay_ms=100))
    assert sim.edit_device(ICCID, {"status": "ACTIVATED"}) is False
    assert sim.edit_device(ICCID, {"status": "ACTIVATED"}) is False
    clock.advance(1)
    assert sim.device(ICCID)["status"] == "ACTIVATED"
    with refused(codes.ALREADY_ACTIVATED):
        sim.edit_device(ICCID, {"status": "ACTIVATED"})


# --- search ----------------------------------------------------------------------------------------


def _three_sims() -> tuple[Simulator, FakeClock]:
    sim, clock = make(
        [
            {"iccid": f"89000000000000000{n:02d}", "status": "ACTIVATION_READY", "accountCustom1": str(n % 2)}
            for n in range(3)
        ]
    )
    for n in (2, 0, 1):  # touch in this order: oldest change first is 2, 0, 1
        clock.advance(10)
        sim.edit_device(f"89000000000000000{n:02d}", {"status": "ACTIVATED"})
    return sim, clock


def test_search_orders_oldest_change_first_and_pages() -> None:
    sim, _ = _three_sims()
    first = sim.search({"modifiedSince": "2026-01-15T12:00:05+00:00", "pageSize": "2"})
    assert [d["iccid"][-2:] for d in first["devices"]] == ["02", "00"]
    assert (first["pageNumber"], first["lastPage"]) == (1, False)
    second = sim.search({"modifiedSince": "2026-01-15T12:00:05+00:00", "pageSize": "2", "pageNumber": "2"})
    assert [d["iccid"][-2:] for d in second["devices"]] == ["01"]
    assert second["lastPage"] is True
    assert set(second["devices"][0]) == {"iccid", "status", "ratePlan", "communicationPlan"}


def test_search_filters_by_window_status_and_custom_field() -> None:
    sim, _ = _three_sims()
    window = sim.search({"modifiedSince": "2026-01-15T12:00:15Z", "modifiedTill": "2026-01-15T12:00:30Z"})
    assert [d["iccid"][-2:] for d in window["devices"]] == ["00", "01"]
    since = "2026-01-15T00:00:00+00:00"
    assert sim.search({"modifiedSince": since, "status": "DEACTIVATED"})["devices"] == []
    custom = sim.search({"modifiedSince": since, "accountCustom1": "1"})
    assert [d["iccid"][-2:] for d in custom["devices"]] == ["01"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, codes.DATE_MISSING),
        ({"modifiedSince": ""}, codes.DATE_MISSING),
        ({"modifiedSince": "2026-01-01T00:00:00"}, codes.INVALID_DATE_FORMAT),
        ({"modifiedSince": "2026-01-01T00:00:00 00:00"}, codes.INVALID_DATE_FORMAT),
        ({"modifiedSince": "yesterday"}, codes.INVALID_DATE_FORMAT),
        ({"modifiedSince": SINCE, "modifiedTill": "x"}, codes.INVALID_DATE_FORMAT),
        ({"modifiedSince": SINCE, "status": "ON"}, codes.INVALID_STATUS),
        ({"modifiedSince": SINCE, "pageSize": "51"}, codes.INVALID_PAGE_SIZE),
        ({"modifiedSince": SINCE, "pageSize": "0"}, codes.INVALID_PAGE_SIZE),
        ({"modifiedSince": SINCE, "pageSize": "-1"}, codes.INVALID_PAGE_SIZE),
        ({"modifiedSince": SINCE, "pageNumber": "0"}, codes.INVALID_PAGE_NUMBER),
        ({"modifiedSince": SINCE, "pageNumber": "1e3"}, codes.INVALID_PAGE_NUMBER),
    ],
)
def test_bad_searches_are_refused(params: dict[str, str], error: str) -> None:
    sim, _ = make()
    with refused(error):
        sim.search(params)


# --- usage -----------------------------------------------------------------------------------------


def test_usage_is_zero_for_a_sim_never_activated() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    usage = sim.usage(ICCID, None)
    assert (usage["ctdDataUsage"], usage["ctdSMSUsage"], usage["ctdVoiceUsage"]) == (0, 0, 0)
    assert usage["ctdSessionCount"] == 0
    assert usage["overageLimitReached"] is False


def test_usage_is_deterministic_per_iccid_and_cycle() -> None:
    sims = [{"iccid": ICCID, "status": "ACTIVATED"}, {"iccid": OTHER, "status": "ACTIVATED"}]
    first, _ = make(sims)
    second, _ = make(sims)
    assert first.usage(ICCID, None) == second.usage(ICCID, None)
    assert first.usage(ICCID, None)["ctdDataUsage"] != first.usage(OTHER, None)["ctdDataUsage"]
    assert first.usage(ICCID, "2025-12-01") != first.usage(ICCID, "2026-01-01")
    assert first.usage(ICCID, None) == first.usage(ICCID, "2026-01-01")
    usage = first.usage(ICCID, None)
    assert usage["ctdDataUsage"] > 0
    assert {
        "iccid",
        "imsi",
        "msisdn",
        "status",
        "ratePlan",
        "communicationPlan",
        "overageLimitOverride",
    } <= usage.keys()


@pytest.mark.parametrize("cycle", ["2026-02-30", "2026/01/01", "20260101", "January"])
def test_usage_refuses_a_bad_cycle_date(cycle: str) -> None:
    sim, _ = make()
    with refused(codes.INVALID_DATE_FORMAT):
        sim.usage(ICCID, cycle)


# --- SMS -------------------------------------------------------------------------------------------


def test_sms_is_pending_until_the_sim_is_activated() -> None:
    sim, clock = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}])
    sms_id = sim.send_sms(ICCID, {"messageText": "wake up", "tpvp": 30})
    message = sim.sms(str(sms_id), None)
    assert (message["status"], message["dateReceived"]) == ("Pending", None)
    assert (message["senderLogin"], message["sentTo"], message["sentFrom"]) == ("demo", ICCID, "Server")
    assert (message["msgType"], message["messageText"], message["smsMsgId"]) == ("MT", "wake up", sms_id)
    clock.advance(5)
    sim.edit_device(ICCID, {"status": "ACTIVATED"})
    delivered = sim.sms(str(sms_id), None)
    assert delivered["status"] == "Delivered"
    assert delivered["dateReceived"] == format_date(clock.now())


def test_sms_in_base64_round_trips() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATED"}])
    encoded = base64.b64encode(b"\x00\x01ping").decode()
    sms_id = sim.send_sms(ICCID, {"messageText": encoded, "messageEncoding": "BASE64", "dataCoding": 4})
    assert sim.sms(str(sms_id), "BASE64")["messageText"] == encoded
    assert sim.sms(str(sms_id), None)["status"] == "Delivered"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"messageText": "x" * 161}, codes.MESSAGE_TOO_LONG),
        ({"messageText": "x" * 71, "dataCoding": 8}, codes.MESSAGE_TOO_LONG),
        ({"messageText": "hi", "dataCoding": 2}, codes.INVALID_DATA_CODING),
        ({"messageText": "hi", "dataCoding": True}, codes.INVALID_DATA_CODING),
        ({"messageText": "hi", "messageEncoding": "UTF8"}, codes.INVALID_MESSAGE_ENCODING),
        ({"messageText": "not base64!", "messageEncoding": "BASE64"}, codes.INVALID_MESSAGE_ENCODING),
        ({"messageText": "hi", "tpvp": 256}, codes.INVALID_TPVP),
        ({"messageText": "hi", "tpvp": -1}, codes.INVALID_TPVP),
        ({"messageText": ""}, codes.MISSING_FIELDS),
        ({}, codes.MISSING_FIELDS),
        ({"messageText": "hi", "priority": 1}, codes.UNRECOGNISED_PARAMETER),
        ([], codes.MALFORMED_JSON),
    ],
)
def test_bad_sms_is_refused(body: object, error: str) -> None:
    sim, _ = make()
    with refused(error):
        sim.send_sms(ICCID, body)


def test_sms_of_160_characters_is_accepted() -> None:
    sim, _ = make()
    assert sim.send_sms(ICCID, {"messageText": "x" * 160}) > 0


@pytest.mark.parametrize("sms_id", ["1", "abc", "-5", "99999999999999999999", ""])
def test_unknown_sms_is_not_found(sms_id: str) -> None:
    sim, _ = make()
    with refused(codes.SMS_NOT_FOUND):
        sim.sms(sms_id, None)


# --- authentication --------------------------------------------------------------------------------


def test_authentication() -> None:
    sim, _ = make()
    assert sim.authenticate(basic("demo", "secret")) == "demo"
    for header in (None, "Bearer abc", ""):
        with pytest.raises(AuthenticationRequired):
            sim.authenticate(header)
    for header in (basic("demo", "wrong"), basic("other", "secret"), "Basic !!!", "Basic ZGVtbw=="):
        with refused(codes.INVALID_CREDENTIALS):
            sim.authenticate(header)


# --- rate limiter ----------------------------------------------------------------------------------


def test_limiter_counts_fixed_one_second_windows_per_account() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert [limiter.admit("a", 2) for _ in range(3)] == [True, True, False]
    assert limiter.admit("b", 2) is True  # another account has its own budget
    clock.advance(0.999)  # 1000.999: still the same window
    assert limiter.admit("a", 2) is False
    clock.advance(0.001)  # 1001.0: a new window
    assert [limiter.admit("a", 2) for _ in range(3)] == [True, True, False]


def test_limiter_windows_are_fixed_not_sliding() -> None:
    clock = FakeClock()
    clock.mono = 1_000.9
    limiter = RateLimiter(clock)
    assert [limiter.admit("a", 2) for _ in range(2)] == [True, True]
    clock.advance(0.2)  # only 0.2 s later, but the window has changed: a fresh budget
    assert [limiter.admit("a", 2) for _ in range(3)] == [True, True, False]


def test_limiter_off_and_fractional_limits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert all(limiter.admit("a", 0) for _ in range(100))
    assert [limiter.admit("b", 0.5) for _ in range(2)] == [True, False]
    clock.advance(2)
    assert limiter.admit("b", 0.5) is True
    assert [limiter.admit("c", 2.9) for _ in range(3)] == [True, True, False]


# --- faults ----------------------------------------------------------------------------------------


def test_fault_draws_are_seeded() -> None:
    first, _ = make(seed=7, faults=Faults(fail_rate=0.3, timeout_rate=0.2))
    second, _ = make(seed=7, faults=Faults(fail_rate=0.3, timeout_rate=0.2))
    draws = [first.draw_fault() for _ in range(1_000)]
    assert draws == [second.draw_fault() for _ in range(1_000)]
    assert 200 < draws.count("fail") < 400
    assert 120 < draws.count("timeout") < 280


def test_certain_and_absent_faults() -> None:
    sim, _ = make(faults=Faults(fail_rate=1))
    assert {sim.draw_fault() for _ in range(50)} == {"fail"}
    sim.faults.fail_rate, sim.faults.timeout_rate = 0, 1
    assert {sim.draw_fault() for _ in range(50)} == {"timeout"}
    sim.faults.timeout_rate = 0
    assert {sim.draw_fault() for _ in range(50)} == {None}
    sim.faults.drop_rate = 1
    assert {sim.draw_fault() for _ in range(50)} == {"drop"}


def test_drop_draws_come_after_fail_and_timeout() -> None:
    sim, _ = make(seed=11, faults=Faults(fail_rate=0.2, timeout_rate=0.2, drop_rate=0.2))
    draws = [sim.draw_fault() for _ in range(2_000)]
    for fault in ("fail", "timeout", "drop", None):
        assert 250 < draws.count(fault) < 1_000, fault
    with pytest.raises(ValueError, match="drop_rate"):
        Faults(drop_rate=1.5)


# --- scripted errors -------------------------------------------------------------------------------


def test_scripted_errors_answer_in_order_per_iccid() -> None:
    errors = ScriptedErrors()
    queued = errors.add(
        [
            {"iccid": ICCID, "errorCode": codes.UNKNOWN_SERVER_ERROR, "count": 2},
            {"iccid": ICCID, "errorCode": codes.RATE_LIMIT_EXCEEDED},
            {"iccid": OTHER, "errorCode": codes.INVALID_ICCID},
        ]
    )
    assert queued == 4
    assert errors.to_json() == {
        ICCID: [codes.UNKNOWN_SERVER_ERROR, codes.UNKNOWN_SERVER_ERROR, codes.RATE_LIMIT_EXCEEDED],
        OTHER: [codes.INVALID_ICCID],
    }
    assert [errors.take(ICCID) for _ in range(4)] == [
        codes.UNKNOWN_SERVER_ERROR,
        codes.UNKNOWN_SERVER_ERROR,
        codes.RATE_LIMIT_EXCEEDED,
        None,
    ]
    assert errors.take(None) is None
    assert errors.clear() == 1
    assert errors.take(OTHER) is None


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"iccid": ICCID, "errorCode": "30000001"}, "expected a list"),
        (["x"], "error #2: expected a JSON object"),
        ([{"iccid": "1", "errorCode": "30000001"}], "iccid"),
        ([{"iccid": ICCID, "errorCode": "99999999"}], "errorCode"),
        ([{"iccid": ICCID, "errorCode": "30000001", "count": 0}], "count"),
        ([{"iccid": ICCID, "errorCode": "30000001", "count": True}], "count"),
        ([{"iccid": ICCID, "errorCode": "30000001", "other": 1}], "unknown field"),
    ],
)
def test_scripted_errors_refuse_bad_items_all_or_nothing(items: object, message: str) -> None:
    errors = ScriptedErrors()
    good = {"iccid": OTHER, "errorCode": codes.UNKNOWN_SERVER_ERROR}
    with pytest.raises(ValueError, match=message):
        errors.add([good, *items] if isinstance(items, list) else items)
    assert errors.to_json() == {}


def test_reset_forgets_scripted_errors() -> None:
    sim, _ = make()
    sim.scripted_errors.add([{"iccid": ICCID, "errorCode": codes.UNKNOWN_SERVER_ERROR}])
    sim.reset()
    assert sim.scripted_errors.to_json() == {}


# --- call log and admin ----------------------------------------------------------------------------


def _facts(path: str) -> CallFacts:
    return CallFacts("GET", path, None, 200, None, "demo", 1.0)


def test_call_log_indexes_survive_clears_and_the_cap() -> None:
    log = CallLog(max_entries=3)
    for n in range(5):
        log.record(float(n), START, _facts(f"/{n}"))
    assert [entry.index for entry in log.since()] == [2, 3, 4]
    assert [entry.call.path for entry in log.since(4)] == ["/4"]
    assert log.clear() == 3
    assert log.record(9.0, START, _facts("/x")).index == 5
    assert log.since(0)[0].to_json()["path"] == "/x"


def test_add_sims_is_all_or_nothing_and_replaces() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATED"}])
    with pytest.raises(ValueError, match="SIM #2"):
        sim.add_sims([{"iccid": OTHER, "status": "ACTIVATED"}, {"iccid": "1", "status": "ACTIVATED"}])
    assert [s["iccid"] for s in sim.sims()] == [ICCID]
    assert sim.add_sims([{"iccid": ICCID, "status": "RETIRED"}]) == [ICCID]
    assert sim.device(ICCID)["status"] == "RETIRED"


def test_admin_view_round_trips_through_add_sims() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATED", "simNotes": "panel 4"}])
    view = sim.sims()
    other, _ = make()
    other.add_sims(view)
    assert other.sims() == view


def test_reset_restores_configured_sims_and_forgets_the_rest_but_keeps_faults() -> None:
    sim, _ = make([{"iccid": ICCID, "status": "ACTIVATION_READY"}], faults=Faults(latency_ms=5))
    sim.edit_device(ICCID, {"status": "ACTIVATED"})
    sms_id = sim.send_sms(OTHER, {"messageText": "hi"})
    sim.calls.record(0.0, START, _facts("/"))
    sim.faults.fail_rate = 0.5
    sim.reset()
    assert [s["status"] for s in sim.sims()] == ["ACTIVATION_READY"]
    assert sim.calls.since() == []
    with refused(codes.SMS_NOT_FOUND):
        sim.sms(str(sms_id), None)
    assert (sim.faults.latency_ms, sim.faults.fail_rate) == (5, 0.5)
