"""The simulated Control Center: SIMs, status rules, faults, the rate limiter and the call log.

Pure Python on purpose. The HTTP layer (`app.py`) only turns requests into calls on `Simulator`
and `CarrierError` into Control Center's error envelope, so every rule here is testable without a
server. The facts (field names, formats, error codes) follow
`shared/reference/control-center-api.md`; the error answers come from the shared catalogue in
`carriers/control_center_rest/codes.py`.

Concurrency: a `Simulator` is used from one asyncio event loop and no method awaits, so each call
runs to completion without interleaving; there is no lock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import itertools
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from carriers.control_center_rest import codes
from carriers.control_center_soap import codes as soap_codes

STATUSES = (
    "TEST_READY",
    "INVENTORY",
    "ACTIVATION_READY",
    "ACTIVATED",
    "DEACTIVATED",
    "RETIRED",
    "PURGED",
    "REPLACED",
)
# Sandboxes have shown statuses outside the documented eight (ONHOLD). A SIM may be loaded with one
# so that a client's handling of the unexpected can be tried; the API never sets it.
LOADABLE_STATUSES = (*STATUSES, "ONHOLD")
PRE_ACTIVATION = frozenset({"TEST_READY", "INVENTORY", "ACTIVATION_READY"})
OVERAGE_OVERRIDES = ("DEFAULT", "TEMPORARY_OVERRIDE", "PERMANENT_OVERRIDE")

CUSTOM_FIELDS = (
    *(f"operatorCustom{n}" for n in range(1, 6)),
    *(f"accountCustom{n}" for n in range(1, 11)),
    *(f"customerCustom{n}" for n in range(1, 6)),
)
# Free-text device fields, in the order Get Device Details lists them (around the core fields).
TEXT_FIELDS = (
    "imsi",
    "msisdn",
    "imei",
    "customer",
    "endConsumerId",
    "accountId",
    "fixedIPAddress",
    "fixedIpv6Address",
    *CUSTOM_FIELDS,
    "simNotes",
    "deviceID",
    "modemID",
    "globalSimType",
    "eid",
    "simProfileId",
    "euiccid",
)
_DETAILS_TAIL = TEXT_FIELDS[TEXT_FIELDS.index("accountId") :]  # what follows the dates
DATE_FIELDS = ("dateActivated", "dateAdded", "dateUpdated", "dateShipped")
SIM_INPUT_FIELDS = frozenset(
    {"iccid", "status", "ratePlan", "communicationPlan", "overageLimitOverride"}
    | set(TEXT_FIELDS)
    | set(DATE_FIELDS)
)

# Fields Edit Device Details accepts besides status and the plans (R1 DeviceEditModel).
EDITABLE_TEXT_FIELDS = frozenset({"customer", "deviceID", "modemID", *CUSTOM_FIELDS})
EDIT_FIELDS = frozenset(
    {
        "effectiveDate",
        "status",
        "ratePlan",
        "communicationPlan",
        "overageLimitOverride",
        "ipv4Address",
        "ipv6Address",
        "apn",
        "pdpId",
    }
    | EDITABLE_TEXT_FIELDS
)
MAX_EFFECTIVE_DAYS = 180

RATE_PLANS: tuple[dict[str, Any], ...] = (
    {"name": "Alarm Panel 5MB", "versionId": 1, "status": "PUBLISHED", "includedDataMB": 5},
    {"name": "Alarm Panel 20MB", "versionId": 1, "status": "PUBLISHED", "includedDataMB": 20},
    {
        "name": "Alarm Panel Pooled 1GB",
        "versionId": 2,
        "status": "PUBLISHED",
        "includedDataMB": 1_024,
    },
    {"name": "Test Ready 20KB", "versionId": 1, "status": "PUBLISHED", "includedDataMB": 0},
)
RATE_PLAN_NAMES = frozenset(plan["name"] for plan in RATE_PLANS)
DEFAULT_RATE_PLAN = "Alarm Panel 5MB"
DEFAULT_COMMUNICATION_PLAN = "CP_Basic_ON"
DEFAULT_ACCOUNT_ID = "100020620"

# Characters (bytes for BASE64) per dataCoding. Without dataCoding the Cisco page allows 320; we hold
# clients to 160 so that a message that passes here fits any coding a carrier may apply.
SMS_LIMITS: dict[int | None, int] = {None: 160, 0: 160, 1: 160, 3: 160, 4: 140, 8: 70}
SMS_FIELDS = frozenset({"messageText", "messageEncoding", "dataCoding", "tpvp", "callbackParam"})
MESSAGE_ENCODINGS = ("LITERAL", "BASE64")

PAGE_MAX = 50
CALL_LOG_MAX = 100_000

_ICCID = re.compile(r"[0-9]{19,20}")
_SMALL_INT = re.compile(r"[0-9]{1,9}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_WITH_OFFSET = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(Z|[+-][0-9]{2}:?[0-9]{2})?")

# fail: answer 500 at once; timeout: hang, then 500 (nothing applied); drop: apply the call, then hang
# and never give its answer (the client cannot tell whether the change was made).
Fault = Literal["fail", "timeout", "drop", "cut"]


class CarrierError(Exception):
    """A refusal Control Center would answer with; `code` is a key of the shared ERROR_CODES."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class AuthenticationRequired(Exception):
    """No (Basic) Authorization header: Spring's 401 without an errorCode."""

    message = "Full authentication is required to access this resource"


# --- configuration -------------------------------------------------------------------------------


@dataclass
class Faults:
    """Misbehaviour to inject into API calls; mutable while the simulator runs.

    Setting attributes directly is allowed (tests do) but unchecked; `update()` validates.
    """

    latency_ms: float = 0
    fail_rate: float = 0
    timeout_rate: float = 0
    hang_seconds: float = 60
    down: bool = False
    rate_limit: float = 0
    apply_delay_ms: float = 0
    drop_rate: float = 0
    cut_rate: float = 0  # a successful answer's JSON body cut in half on the way (Content-Length fitted)
    # SOAP SimRmaExchange refused with fault 400201, as on an account without that entitlement.
    rma_exchange_refused: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field that is the wrong type or out of range."""
        for name in _FAULT_SWITCHES:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        for name, upper in _FAULT_BOUNDS.items():
            _check_number(name, getattr(self, name), upper)
        if 0 < self.rate_limit < _MIN_RATE_LIMIT:
            raise ValueError(f"rate_limit must be 0 (off) or at least {_MIN_RATE_LIMIT}")

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply a partial update all-or-nothing; ValueError on unknown fields or bad values."""
        known = {item.name for item in fields(self)}
        unknown = sorted(str(name) for name in changes if name not in known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        merged: dict[str, Any] = {**asdict(self), **changes}
        candidate = Faults(**merged)  # validates
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def to_json(self) -> dict[str, Any]:
        """The faults as a JSON object (field names as in the dataclass)."""
        return asdict(self)


_FAULT_SWITCHES = ("down", "rma_exchange_refused")
# Upper bounds keep every fault within what sleeps and date arithmetic can take (no overflow).
_FAULT_BOUNDS = {
    "latency_ms": 3_600_000.0,
    "fail_rate": 1.0,
    "timeout_rate": 1.0,
    "hang_seconds": 3_600.0,
    "rate_limit": 1_000_000.0,
    "apply_delay_ms": 86_400_000.0,
    "drop_rate": 1.0,
    "cut_rate": 1.0,
}
_MIN_RATE_LIMIT = 0.01


def _check_number(name: str, value: object, upper: float) -> None:
    # bool is an int subclass: "latency_ms": true is a mistake, not 1 ms.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if not math.isfinite(value) or not 0 <= value <= upper:
        raise ValueError(f"{name} must be between 0 and {upper:g}")


@dataclass(frozen=True)
class SimulatorConfig:
    """How a simulator starts: the API account, strictness, initial SIMs, faults and random seed.

    `faults` is the live Faults object: changing it changes the running simulator. `sims` holds SIM
    objects as in `load_sims` (validated here, so a bad list fails at start-up).
    """

    user_name: str
    api_key: str = field(repr=False)
    strict: bool = False
    sims: Sequence[Mapping[str, Any]] = ()
    faults: Faults = field(default_factory=Faults)
    seed: int | None = None
    # The SOAP API's credentials (simulator/soap.py): without them every SOAP call is refused.
    password: str | None = field(default=None, repr=False)
    license_key: str | None = field(default=None, repr=False)
    emnify_token: str | None = field(default=None, repr=False)  # serve emnify under /api/v1/ with it
    account_sid: str | None = None  # with auth_token: serve Super SIM under /v1/
    auth_token: str | None = field(default=None, repr=False)
    # With account_sid and auth_token: KORE's OAuth2 client credentials, its token API served too.
    kore_client_id: str | None = None
    kore_client_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.user_name or ":" in self.user_name:
            raise ValueError("user_name must be non-empty and contain no colon (HTTP Basic)")
        if not self.api_key:
            raise ValueError("api_key must be non-empty")
        self.faults.validate()
        parse_sims(self.sims, datetime.now(UTC))


def load_sims(path: str | Path) -> list[dict[str, Any]]:
    """Read initial SIMs from a JSON file holding a list of SIM objects; ValueError if it is bad.

    Each object needs `iccid` (19-20 digits) and `status`; any Get Device Details field may be given
    (dates as "2016-06-29 00:21:33.339+0000" or ISO 8601). A SIM with `dateActivated`, or loaded as
    ACTIVATED, counts as once activated and cannot go back to a pre-activation status.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read SIM file {path}: {error.strerror}") from error
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"SIM file {path} is not valid UTF-8 JSON: {error}") from error
    try:
        parse_sims(data, datetime.now(UTC))
    except ValueError as error:
        raise ValueError(f"SIM file {path}: {error}") from error
    return [dict(item) for item in data]


# --- SIMs ----------------------------------------------------------------------------------------


@dataclass
class Sim:
    """One SIM as Control Center keeps it. Ever activated <=> date_activated is set."""

    iccid: str
    status: str
    rate_plan: str
    communication_plan: str
    date_added: datetime
    date_updated: datetime
    date_activated: datetime | None = None
    date_shipped: datetime | None = None
    overage_limit_override: str = "DEFAULT"
    text: dict[str, str | None] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """Get Device Details, field for field."""
        text = self.text
        return {
            "iccid": self.iccid,
            "imsi": text["imsi"],
            "msisdn": text["msisdn"],
            "imei": text["imei"],
            "status": self.status,
            "ratePlan": self.rate_plan,
            "communicationPlan": self.communication_plan,
            "customer": text["customer"],
            "endConsumerId": text["endConsumerId"],
            "dateActivated": format_date(self.date_activated),
            "dateAdded": format_date(self.date_added),
            "dateUpdated": format_date(self.date_updated),
            "dateShipped": format_date(self.date_shipped),
            **{name: text[name] for name in _DETAILS_TAIL},
        }

    def summary(self) -> dict[str, Any]:
        """The four fields Search Devices returns per SIM."""
        return {
            "iccid": self.iccid,
            "status": self.status,
            "ratePlan": self.rate_plan,
            "communicationPlan": self.communication_plan,
        }


def format_date(moment: datetime | None) -> str | None:
    """Control Center's response date format, `yyyy-MM-dd HH:mm:ss.SSS+0000`, always in UTC."""
    if moment is None:
        return None
    # isoformat, not strftime: strftime drops the leading zeros of years before 1000 on Linux.
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(sep=" ", timespec="milliseconds") + "+0000"


def is_iccid(value: str) -> bool:
    """True for a well-formed ICCID: 19 or 20 ASCII digits."""
    return _ICCID.fullmatch(value) is not None


def derived_identity(iccid: str) -> dict[str, str]:
    """IMSI and MSISDN derived from the ICCID, so the same SIM always shows the same numbers."""
    tail = iccid[-10:]
    return {"imsi": f"90128{tail}", "msisdn": f"88235{tail}"}


def new_sim(iccid: str, now: datetime) -> Sim:
    """A SIM as first seen by a lenient simulator: ACTIVATION_READY on the default plans."""
    return Sim(
        iccid=iccid,
        status="ACTIVATION_READY",
        rate_plan=DEFAULT_RATE_PLAN,
        communication_plan=DEFAULT_COMMUNICATION_PLAN,
        date_added=now,
        date_updated=now,
        text=_default_text(iccid),
    )


def _default_text(iccid: str) -> dict[str, str | None]:
    text: dict[str, str | None] = dict.fromkeys(TEXT_FIELDS)
    text.update(derived_identity(iccid), imei="", globalSimType="", accountId=DEFAULT_ACCOUNT_ID)
    return text


def parse_sims(items: object, now: datetime) -> list[Sim]:
    """Validate a list of SIM objects (see `load_sims`); ValueError names the bad item."""
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise ValueError("expected a list of SIM objects")
    sims: list[Sim] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        try:
            sim = parse_sim(item, now)
        except ValueError as error:
            raise ValueError(f"SIM #{number}: {error}") from error
        if sim.iccid in seen:
            raise ValueError(f"SIM #{number}: duplicate ICCID {sim.iccid}")
        seen.add(sim.iccid)
        sims.append(sim)
    return sims


def parse_sim(raw: object, now: datetime) -> Sim:
    """One SIM object (see `load_sims`) as a Sim; ValueError with a clear message if it is bad."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    unknown = sorted(str(name) for name in raw if name not in SIM_INPUT_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    iccid = raw.get("iccid")
    if not isinstance(iccid, str) or not is_iccid(iccid):
        raise ValueError(f"iccid must be a string of 19 or 20 digits, got {iccid!r}")
    sim = new_sim(iccid, now)
    _apply_loaded_core(sim, raw)
    _apply_loaded_dates(sim, raw)
    for name in TEXT_FIELDS:
        if name in raw:
            sim.text[name] = _loaded_text(raw, name)
    return sim


def _apply_loaded_core(sim: Sim, raw: Mapping[str, Any]) -> None:
    status = raw.get("status")
    if status not in LOADABLE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(LOADABLE_STATUSES)}, got {status!r}")
    sim.status = status
    rate_plan = raw.get("ratePlan", DEFAULT_RATE_PLAN)
    if not _one_of(rate_plan, RATE_PLAN_NAMES):
        raise ValueError(f"ratePlan must be one of {', '.join(sorted(RATE_PLAN_NAMES))}")
    sim.rate_plan = rate_plan
    plan = raw.get("communicationPlan", DEFAULT_COMMUNICATION_PLAN)
    if not isinstance(plan, str) or not plan:
        raise ValueError("communicationPlan must be a non-empty string")
    sim.communication_plan = plan
    override = raw.get("overageLimitOverride", "DEFAULT")
    if override not in OVERAGE_OVERRIDES:
        raise ValueError(f"overageLimitOverride must be one of {', '.join(OVERAGE_OVERRIDES)}")
    sim.overage_limit_override = override


def _apply_loaded_dates(sim: Sim, raw: Mapping[str, Any]) -> None:
    added = _loaded_date(raw, "dateAdded")
    if added is not None:
        sim.date_added = added
    sim.date_updated = _loaded_date(raw, "dateUpdated") or sim.date_added
    sim.date_shipped = _loaded_date(raw, "dateShipped")
    sim.date_activated = _loaded_date(raw, "dateActivated")
    if sim.status == "ACTIVATED" and sim.date_activated is None:
        sim.date_activated = sim.date_added


def _loaded_date(raw: Mapping[str, Any], name: str) -> datetime | None:
    value = raw.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    utc = None if moment is None else _to_utc(moment)
    if utc is None:
        example = "2016-06-29 00:21:33.339+0000"
        raise ValueError(f"{name} must be a date like {example!r}, got {value!r}")
    return utc


def _to_utc(moment: datetime) -> datetime | None:
    """`moment` in UTC (no offset taken as UTC); None if that falls outside years 1-9999."""
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        return None


def _loaded_text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw[name]
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null, got {value!r}")
    return value


# --- request parsing -----------------------------------------------------------------------------


def decode_json(raw: bytes) -> object:
    """A request body as JSON (empty body: empty object); CarrierError 10000023 if malformed."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise CarrierError(codes.MALFORMED_JSON) from error


def _reject_constant(name: str) -> object:
    # NaN and Infinity are not JSON; accepted, they could reach a response and break its encoding.
    raise ValueError(f"{name} is not JSON")


Change = dict[str, str | None]


def parse_edit(body: object, now: datetime) -> tuple[Change, datetime | None]:
    """An Edit Device Details body as the field changes to make and the effectiveDate, if any.

    The changes use Get Device Details names (ipv4Address becomes fixedIPAddress).
    """
    if not isinstance(body, dict):
        raise CarrierError(codes.MALFORMED_JSON)
    if any(name not in EDIT_FIELDS for name in body):
        raise CarrierError(codes.UNRECOGNISED_PARAMETER)
    effective = body.get("effectiveDate")
    change = _edit_core(body) | _edit_addresses(body) | _edit_text(body)
    if not change:
        raise CarrierError(codes.MISSING_FIELDS)
    return change, None if effective is None else parse_effective_date(effective, now)


def _one_of(value: object, names: frozenset[str]) -> bool:
    # Checks the type first: a JSON list or object is unhashable and `in frozenset` would raise.
    return isinstance(value, str) and value in names


def _edit_core(body: dict[str, Any]) -> Change:
    change: Change = {}
    if "status" in body:
        if body["status"] not in STATUSES:
            raise CarrierError(codes.INVALID_STATUS)
        change["status"] = body["status"]
    if "ratePlan" in body:
        if not _one_of(body["ratePlan"], RATE_PLAN_NAMES):
            raise CarrierError(codes.INVALID_RATE_PLAN)
        change["ratePlan"] = body["ratePlan"]
    if "communicationPlan" in body:
        if not isinstance(body["communicationPlan"], str) or not body["communicationPlan"]:
            raise CarrierError(codes.UNRECOGNISED_PARAMETER)
        change["communicationPlan"] = body["communicationPlan"]
    if "overageLimitOverride" in body:
        if body["overageLimitOverride"] not in OVERAGE_OVERRIDES:
            raise CarrierError(codes.INVALID_OVERAGE_OVERRIDE)
        change["overageLimitOverride"] = body["overageLimitOverride"]
    return change


def _edit_addresses(body: dict[str, Any]) -> Change:
    change: Change = {}
    for name in ("ipv4Address", "ipv6Address", "apn", "pdpId"):
        if name in body and not isinstance(body[name], str):
            raise CarrierError(codes.UNRECOGNISED_PARAMETER)
    if "ipv4Address" in body:
        # Control Center needs the APN and PDP context an IPv4 address belongs to.
        if "apn" not in body or "pdpId" not in body:
            raise CarrierError(codes.MISSING_FIELDS)
        change["fixedIPAddress"] = body["ipv4Address"]
    if "ipv6Address" in body:
        change["fixedIpv6Address"] = body["ipv6Address"]
    return change


def _edit_text(body: dict[str, Any]) -> Change:
    change: Change = {}
    for name in sorted(body.keys() & EDITABLE_TEXT_FIELDS):
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise CarrierError(codes.UNRECOGNISED_PARAMETER)
        change[name] = value
    return change


def parse_effective_date(value: object, now: datetime) -> datetime:
    """effectiveDate as a moment: `yyyy-MM-dd` with optional `Z`/offset, or ISO 8601 date-time.

    No offset means UTC. More than 180 days ahead, or unparseable: CarrierError 10000012.
    """
    if not isinstance(value, str):
        raise CarrierError(codes.INVALID_DATE_FORMAT)
    try:
        moment = _to_utc(_parse_effective(value))
    except ValueError as error:
        raise CarrierError(codes.INVALID_DATE_FORMAT) from error
    if moment is None or moment > now + timedelta(days=MAX_EFFECTIVE_DAYS):
        raise CarrierError(codes.INVALID_DATE_FORMAT)
    return moment


def _parse_effective(value: str) -> datetime:
    match = _DAY_WITH_OFFSET.fullmatch(value)
    if match is None:
        return datetime.fromisoformat(value)
    day = date.fromisoformat(match[1])
    return datetime(day.year, day.month, day.day, tzinfo=_offset(match[2]))


def _offset(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if text[0] == "-" else delta)  # ValueError if out of range


def _query_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CarrierError(codes.INVALID_DATE_FORMAT) from error
    # ISO 8601 *with offset*: this also catches an unencoded "+" that arrived as a space.
    utc = _to_utc(moment) if moment.tzinfo else None
    if utc is None:
        raise CarrierError(codes.INVALID_DATE_FORMAT)
    return utc


def _query_int(value: str | None, default: int, upper: int | None, code: str) -> int:
    if value is None:
        return default
    if _SMALL_INT.fullmatch(value) is None:
        raise CarrierError(code)
    number = int(value)
    if number < 1 or (upper is not None and number > upper):
        raise CarrierError(code)
    return number


@dataclass(frozen=True)
class SmsRequest:
    """A validated Send SMS body."""

    payload: bytes


def parse_sms(body: object) -> SmsRequest:
    """A Send SMS body; CarrierError for each documented refusal (10000011, 10000017-20, ...)."""
    if not isinstance(body, dict):
        raise CarrierError(codes.MALFORMED_JSON)
    if any(name not in SMS_FIELDS for name in body):
        raise CarrierError(codes.UNRECOGNISED_PARAMETER)
    text = body.get("messageText")
    if not isinstance(text, str) or not text:
        raise CarrierError(codes.MISSING_FIELDS)
    encoding = body.get("messageEncoding", "LITERAL")
    if encoding not in MESSAGE_ENCODINGS:
        raise CarrierError(codes.INVALID_MESSAGE_ENCODING)
    coding = _sms_number(body.get("dataCoding"), codes.INVALID_DATA_CODING)
    if coding not in SMS_LIMITS:
        raise CarrierError(codes.INVALID_DATA_CODING)
    tpvp = _sms_number(body.get("tpvp"), codes.INVALID_TPVP)
    if tpvp is not None and tpvp > 255:
        raise CarrierError(codes.INVALID_TPVP)
    payload, length = _sms_payload(text, encoding)
    if length > SMS_LIMITS[coding]:
        raise CarrierError(codes.MESSAGE_TOO_LONG)
    return SmsRequest(payload)


def _sms_number(value: object, code: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and _SMALL_INT.fullmatch(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise CarrierError(code)


def _sms_payload(text: str, encoding: str) -> tuple[bytes, int]:
    if encoding == "LITERAL":
        return text.encode("utf-8", errors="replace"), len(text)
    try:
        payload = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:  # ValueError: non-ASCII text
        raise CarrierError(codes.INVALID_MESSAGE_ENCODING) from error
    return payload, len(payload)


# --- authentication ------------------------------------------------------------------------------


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """User name and key from an `Authorization: Basic` header; None when there is no Basic header.

    CarrierError 10000001 when the header says Basic but does not decode to `user:key`.
    """
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as error:  # ValueError covers UnicodeDecodeError
        raise CarrierError(codes.INVALID_CREDENTIALS) from error
    user, colon, key = decoded.partition(":")
    if not colon:
        raise CarrierError(codes.INVALID_CREDENTIALS)
    return user, key


def presented_user(header: str | None) -> str | None:
    """The user name a request claims, for the call log; None if it claims none (or garbage)."""
    try:
        credentials = basic_credentials(header)
    except CarrierError:
        return None
    return credentials[0] if credentials else None


# --- rate limiter, call log, clock ---------------------------------------------------------------


class Clock:
    """Wall and monotonic time. Tests pass a fake to control windows, delays and dates."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        return time.monotonic()


class RateLimiter:
    """Calls per second per account, in fixed windows like Control Center's "measuring period".

    A limit of N >= 1 admits floor(N) calls per one-second window. A limit below one widens the
    window instead (0.5 admits one call per two-second window), so every positive limit lets some
    calls through. Refused calls do not count.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}

    def admit(self, account: str, limit: float) -> bool:
        """Count one call for `account`; False if the current window is already full."""
        if limit <= 0:
            return True
        window_seconds = max(1.0, 1.0 / limit)
        capacity = max(1, math.floor(limit * window_seconds))
        window = math.floor(self._clock.monotonic() / window_seconds)
        current, count = self._windows.get(account, (window, 0))
        if current != window:
            count = 0
        if count >= capacity:
            return False
        self._windows[account] = (window, count + 1)
        return True

    def reset(self) -> None:
        """Forget every window."""
        self._windows.clear()


@dataclass(frozen=True)
class CallFacts:
    """What the HTTP layer knows about one finished API call (status None: no answer was sent).

    `fault` names the injected misbehaviour that shaped the answer: down, fail, timeout, drop or
    error (a scripted error), None for an ordinary answer. `operation` names a SOAP call's operation
    (EditTerminal, SimRmaExchange ...), which its path does not.
    """

    method: str
    path: str
    iccid: str | None
    status: int | None
    error_code: str | None
    user_name: str | None
    duration_ms: float
    fault: str | None = None
    operation: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """One API call as the call log keeps it; `started` is monotonic seconds at arrival."""

    index: int
    started: float
    wall: datetime
    call: CallFacts

    def to_json(self) -> dict[str, Any]:
        """The record as the admin API shows it."""
        call = self.call
        return {
            "index": self.index,
            "monotonic": self.started,
            "wall": self.wall.isoformat(),
            "durationMs": round(call.duration_ms, 3),
            "method": call.method,
            "path": call.path,
            "iccid": call.iccid,
            "status": call.status,
            "errorCode": call.error_code,
            "userName": call.user_name,
            "fault": call.fault,
            "operation": call.operation,
        }


class CallLog:
    """The last CALL_LOG_MAX API calls; indexes go on across clears, so `since` never rewinds."""

    def __init__(self, max_entries: int = CALL_LOG_MAX) -> None:
        self._entries: deque[CallRecord] = deque(maxlen=max_entries)
        self._next = 0

    @property
    def next_index(self) -> int:
        """The index the next recorded call will get."""
        return self._next

    def record(self, started: float, wall: datetime, call: CallFacts) -> CallRecord:
        """Append a call that arrived at `started` (monotonic) / `wall`, and return it."""
        entry = CallRecord(self._next, started, wall, call)
        self._entries.append(entry)
        self._next += 1
        return entry

    def since(self, index: int = 0) -> list[CallRecord]:
        """Calls with index >= `index`, oldest first."""
        return [entry for entry in self._entries if entry.index >= index]

    def clear(self) -> int:
        """Forget all calls; return how many there were."""
        count = len(self._entries)
        self._entries.clear()
        return count


class ScriptedErrors:
    """Error answers queued per ICCID: each API call on that ICCID takes the next one, if any.

    Lets a test make a given error code happen exactly N times, where random faults cannot.
    """

    MAX_COUNT = 1_000

    def __init__(self, catalogue: CodeCatalogue | None = None) -> None:
        """``catalogue`` says which codes may be scripted (default: Control Center's, REST and SOAP)."""
        self._catalogue = catalogue or CONTROL_CENTER_CODES
        self._queued: dict[str, deque[str]] = {}

    def add(self, items: object) -> int:
        """Queue errors from a list of {"iccid", "errorCode", "count" (default 1)}, all or none;
        ValueError names the bad item. Returns how many answers were queued."""
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise ValueError("expected a list of {iccid, errorCode, count} objects")
        parsed = [
            _scripted_error(item, number, self._catalogue) for number, item in enumerate(items, start=1)
        ]
        for iccid, code, count in parsed:
            self._queued.setdefault(iccid, deque()).extend([code] * count)
        return sum(count for _, _, count in parsed)

    def take(self, iccid: str | None) -> str | None:
        """The error code this call on `iccid` must answer with, or None."""
        queued = self._queued.get(iccid or "")
        if not queued:
            return None
        code = queued.popleft()
        if not queued:
            del self._queued[iccid or ""]
        return code

    def to_json(self) -> dict[str, list[str]]:
        """The queued codes per ICCID, next first."""
        return {iccid: list(queued) for iccid, queued in sorted(self._queued.items())}

    def clear(self) -> int:
        """Forget every queued error; return how many there were."""
        count = sum(len(queued) for queued in self._queued.values())
        self._queued.clear()
        return count


@dataclass(frozen=True)
class CodeCatalogue:
    """The error codes a platform's scripted errors may name: ``parse`` gives a code as the platform's
    door takes it (a string), or None if it is not one of them; ``described`` says what is expected."""

    parse: Callable[[object], str | None]
    described: str


def _control_center_code(code: object) -> str | None:
    known = isinstance(code, str) and (code in codes.ERROR_CODES or code in soap_codes.FAULT_CODES)
    return code if known and isinstance(code, str) else None


CONTROL_CENTER_CODES = CodeCatalogue(
    _control_center_code, "one of the catalogued codes (REST's, or SOAP's fault codes)"
)


def _scripted_error(item: object, number: int, catalogue: CodeCatalogue) -> tuple[str, str, int]:
    if not isinstance(item, Mapping):
        raise ValueError(f"error #{number}: expected a JSON object")
    unknown = sorted(str(name) for name in item if name not in {"iccid", "errorCode", "count"})
    if unknown:
        raise ValueError(f"error #{number}: unknown field(s): {', '.join(unknown)}")
    iccid, code, count = item.get("iccid"), item.get("errorCode"), item.get("count", 1)
    if not isinstance(iccid, str) or not is_iccid(iccid):
        raise ValueError(f"error #{number}: iccid must be a string of 19 or 20 digits")
    parsed = catalogue.parse(code)
    if parsed is None:
        raise ValueError(f"error #{number}: errorCode must be {catalogue.described}")
    most = ScriptedErrors.MAX_COUNT
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        raise ValueError(f"error #{number}: count must be a whole number from 1 to {most}")
    return iccid, parsed, count


# --- the simulator -------------------------------------------------------------------------------


@dataclass(order=True)
class _Pending:
    due: datetime
    seq: int
    iccid: str = field(compare=False)
    change: Change = field(compare=False)


@dataclass
class SmsMessage:
    """A mobile-terminated SMS sent through the API."""

    sms_id: int
    iccid: str
    payload: bytes
    sender: str
    date_sent: datetime
    status: str = "Pending"
    date_received: datetime | None = None
    date_modified: datetime | None = None


class Simulator:
    """The simulated Control Center account: every API operation, with Control Center's rules."""

    def __init__(self, config: SimulatorConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.faults = config.faults
        self.clock = clock or Clock()
        self.calls = CallLog()
        self.limiter = RateLimiter(self.clock)
        self._sims: dict[str, Sim] = {}
        self._pending: list[_Pending] = []
        self._sms: dict[int, SmsMessage] = {}
        self.scripted_errors = ScriptedErrors()
        # What the other platforms served beside Control Center forget on a reset (their scripted errors).
        self.on_reset: list[Callable[[], object]] = []
        self.reset()

    def reset(self) -> None:
        """Back to the configured SIMs, with no calls, messages, windows or scripted errors; faults
        stay as set."""
        now = self.clock.now()
        self._sims = {sim.iccid: sim for sim in parse_sims(self.config.sims, now)}
        self._pending.clear()
        self._sms.clear()
        self._sequence = itertools.count(1)
        self._sms_ids = itertools.count(5_000_001)
        self._rng = random.Random(self.config.seed)
        self.calls.clear()
        self.limiter.reset()
        self.scripted_errors.clear()
        for forget in self.on_reset:
            forget()

    # front door -----------------------------------------------------------------------------------

    def authenticate(self, header: str | None) -> str:
        """The user name of a valid Authorization header; AuthenticationRequired or CarrierError."""
        credentials = basic_credentials(header)
        if credentials is None:
            raise AuthenticationRequired
        user_ok = hmac.compare_digest(credentials[0].encode(), self.config.user_name.encode())
        key_ok = hmac.compare_digest(credentials[1].encode(), self.config.api_key.encode())
        if not (user_ok and key_ok):
            raise CarrierError(codes.INVALID_CREDENTIALS)
        return credentials[0]

    def admit(self, user_name: str) -> bool:
        """Count a call against the account's calls-per-second limit; False when over it."""
        return self.limiter.admit(user_name, self.faults.rate_limit)

    def draw_fault(self) -> Fault | None:
        """Decide (seeded) whether this call fails outright, hangs, is dropped, or goes through."""
        fail, hang, drop = self.faults.fail_rate, self.faults.timeout_rate, self.faults.drop_rate
        cut = self.faults.cut_rate
        if fail <= 0 and hang <= 0 and drop <= 0 and cut <= 0:
            return None  # no draw, so a seeded sequence is not consumed while faults are off
        draw = self._rng.random()
        if draw < fail:
            return "fail"
        if draw < fail + hang:
            return "timeout"
        if draw < fail + hang + drop:
            return "drop"
        return "cut" if draw < fail + hang + drop + cut else None

    # devices --------------------------------------------------------------------------------------

    def device(self, iccid: str) -> dict[str, Any]:
        """Get Device Details."""
        return self._lookup(iccid).details()

    def edit_device(self, iccid: str, body: object) -> bool:
        """Edit Device Details; True if applied now, False if accepted for later (answer 202)."""
        _require_iccid(iccid)
        now = self.clock.now()
        change, effective = parse_edit(body, now)
        sim = self._lookup(iccid)
        _check_transition(sim, change.get("status"))
        due = self._due(now, effective)
        if due is None:
            _apply(sim, change, now)
            return True
        heapq.heappush(self._pending, _Pending(due, next(self._sequence), iccid, change))
        return False

    def _due(self, now: datetime, effective: datetime | None) -> datetime | None:
        candidates: list[datetime] = []
        if effective is not None and effective > now:
            candidates.append(effective)
        if self.faults.apply_delay_ms > 0:
            candidates.append(now + timedelta(milliseconds=self.faults.apply_delay_ms))
        return max(candidates, default=None)

    def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        """Search Devices: SIMs changed in [modifiedSince, modifiedTill], oldest change first."""
        since = _query_datetime(params.get("modifiedSince") or None)
        if since is None:
            raise CarrierError(codes.DATE_MISSING)
        till = _query_datetime(params.get("modifiedTill") or None)
        status = params.get("status")
        if status is not None and status not in LOADABLE_STATUSES:
            raise CarrierError(codes.INVALID_STATUS)
        size = _query_int(params.get("pageSize"), PAGE_MAX, PAGE_MAX, codes.INVALID_PAGE_SIZE)
        number = _query_int(params.get("pageNumber"), 1, None, codes.INVALID_PAGE_NUMBER)
        self._settle()
        found = sorted(
            (sim for sim in self._sims.values() if _matches(sim, since, till, status, params)),
            key=lambda sim: (sim.date_updated, sim.iccid),
        )
        start = (number - 1) * size
        page = found[start : start + size]
        return {
            "devices": [sim.summary() for sim in page],
            "pageNumber": number,
            "lastPage": start + size >= len(found),
        }

    def usage(self, iccid: str, cycle_start: str | None) -> dict[str, Any]:
        """Get Device Usage (cycle to date), deterministic per ICCID and cycle."""
        sim = self._lookup(iccid)
        today = self.clock.now().date()
        cycle = _cycle_start(cycle_start, today)
        data, sms, voice, sessions = _usage_figures(sim, cycle, today)
        included = next(p["includedDataMB"] for p in RATE_PLANS if p["name"] == sim.rate_plan)
        details = sim.details()
        return {
            **{name: details[name] for name in ("iccid", "imsi", "msisdn", "imei")},
            **sim.summary(),
            "ctdDataUsage": data,
            "ctdSMSUsage": sms,
            "ctdVoiceUsage": voice,
            "ctdSessionCount": sessions,
            "overageLimitReached": data > included * 1024 * 1024,
            "overageLimitOverride": sim.overage_limit_override,
        }

    # SMS ------------------------------------------------------------------------------------------

    def send_sms(self, iccid: str, body: object) -> int:
        """Send SMS: the new message's id."""
        _require_iccid(iccid)
        request = parse_sms(body)
        sim = self._lookup(iccid)
        message = SmsMessage(
            sms_id=next(self._sms_ids),
            iccid=sim.iccid,
            payload=request.payload,
            sender=self.config.user_name,
            date_sent=self.clock.now(),
        )
        message.date_modified = message.date_sent
        self._sms[message.sms_id] = message
        self._deliver(message)
        return message.sms_id

    def sms(self, sms_id: str, encoding: str | None) -> dict[str, Any]:
        """Get SMS Details; the text in `encoding` (LITERAL by default, or BASE64)."""
        message = self._sms.get(int(sms_id)) if _SMALL_INT.fullmatch(sms_id) else None
        if message is None:
            raise CarrierError(codes.SMS_NOT_FOUND)
        encoding = encoding or "LITERAL"
        if encoding not in MESSAGE_ENCODINGS:
            raise CarrierError(codes.INVALID_MESSAGE_ENCODING)
        self._settle()
        self._deliver(message)
        text = (
            message.payload.decode("utf-8", errors="replace")
            if encoding == "LITERAL"
            else base64.b64encode(message.payload).decode("ascii")
        )
        return {
            "smsMsgId": message.sms_id,
            "status": message.status,
            "messageText": text,
            "senderLogin": message.sender,
            "sentTo": message.iccid,
            "sentFrom": "Server",
            "msgType": "MT",
            "dateSent": format_date(message.date_sent),
            "dateReceived": format_date(message.date_received),
            "dateModified": format_date(message.date_modified),
        }

    def _deliver(self, message: SmsMessage) -> None:
        # A message waits at the SMSC until its SIM is ACTIVATED, then is delivered (and stays so).
        sim = self._sims.get(message.iccid)
        if message.status == "Pending" and sim is not None and sim.status == "ACTIVATED":
            now = self.clock.now()
            message.status, message.date_received, message.date_modified = "Delivered", now, now

    def rma_exchange(self, iccid: str, new_iccid: str) -> str:
        """SimRmaExchange (SOAP only): the new SIM takes the old one's status and rate plan, the old one
        becomes REPLACED; its RMA id. Refused (as a status transition) for an old SIM that is no longer in
        service, or a new one that was ever activated."""
        old, new = self._lookup(iccid), self._lookup(new_iccid)
        if old is new or old.status in ("REPLACED", "RETIRED", "PURGED") or new.date_activated is not None:
            raise CarrierError(codes.NO_RETURN_TO_PRE_ACTIVATION)
        now = self.clock.now()
        _apply(new, {"status": old.status, "ratePlan": old.rate_plan}, now)
        _apply(old, {"status": "REPLACED"}, now)
        return f"RMA{next(self._sequence):06d}"

    # catalogue and admin --------------------------------------------------------------------------

    def rate_plans(self) -> dict[str, Any]:
        """Get Rate Plans: the fixed catalogue, one page."""
        return {"ratePlans": [dict(plan) for plan in RATE_PLANS], "lastPage": True}

    def sims(self) -> list[dict[str, Any]]:
        """Every SIM (admin view): the device details plus overageLimitOverride."""
        self._settle()
        return [
            {**sim.details(), "overageLimitOverride": sim.overage_limit_override}
            for sim in sorted(self._sims.values(), key=lambda sim: sim.iccid)
        ]

    def add_sims(self, items: object) -> list[str]:
        """Add or replace SIMs (see `load_sims`), all or none; ValueError if any is bad."""
        sims = parse_sims(items, self.clock.now())
        replaced = {sim.iccid for sim in sims}
        self._pending = [entry for entry in self._pending if entry.iccid not in replaced]
        heapq.heapify(self._pending)
        self._sims.update((sim.iccid, sim) for sim in sims)
        return [sim.iccid for sim in sims]

    # internals ------------------------------------------------------------------------------------

    def _lookup(self, iccid: str) -> Sim:
        _require_iccid(iccid)
        self._settle()
        sim = self._sims.get(iccid)
        if sim is None:
            if self.config.strict:
                raise CarrierError(codes.INVALID_ICCID)
            # Lenient mode: any well-formed ICCID exists, so a demo needs no setup.
            sim = self._sims[iccid] = new_sim(iccid, self.clock.now())
        return sim

    def _settle(self) -> None:
        """Apply scheduled changes that have come due, each at its due time."""
        now = self.clock.now()
        while self._pending and self._pending[0].due <= now:
            entry = heapq.heappop(self._pending)
            sim = self._sims.get(entry.iccid)
            if sim is None:
                continue
            try:
                _check_transition(sim, entry.change.get("status"))
            except CarrierError:
                continue  # no longer allowed (say, an earlier change already activated it): dropped
            _apply(sim, entry.change, entry.due)


def _require_iccid(iccid: str) -> None:
    if not is_iccid(iccid):
        raise CarrierError(codes.INVALID_ICCID)


def _check_transition(sim: Sim, target: str | None) -> None:
    """Control Center's status rules for moving `sim` to `target` (None: no status change)."""
    if target is None:
        return
    if target == "ACTIVATED" and sim.status == "ACTIVATED":
        raise CarrierError(codes.ALREADY_ACTIVATED)
    if target in PRE_ACTIVATION and sim.date_activated is not None:
        raise CarrierError(codes.NO_RETURN_TO_PRE_ACTIVATION)


def _apply(sim: Sim, change: Change, at: datetime) -> None:
    """Make the (already checked) changes; dateUpdated moves only if something really changed."""
    before = (sim.status, sim.rate_plan, sim.communication_plan, sim.overage_limit_override)
    text_before = dict(sim.text)
    for name, value in change.items():
        _set_field(sim, name, value)
    if sim.status == "ACTIVATED" and sim.date_activated is None:
        sim.date_activated = at
    after = (sim.status, sim.rate_plan, sim.communication_plan, sim.overage_limit_override)
    if after != before or sim.text != text_before:
        sim.date_updated = at


_CORE_ATTRIBUTES = {
    "status": "status",
    "ratePlan": "rate_plan",
    "communicationPlan": "communication_plan",
    "overageLimitOverride": "overage_limit_override",
}


def _set_field(sim: Sim, name: str, value: str | None) -> None:
    if name in _CORE_ATTRIBUTES:
        setattr(sim, _CORE_ATTRIBUTES[name], value)  # parse_edit never gives None for these
    else:
        sim.text[name] = value


def _matches(
    sim: Sim,
    since: datetime,
    till: datetime | None,
    status: str | None,
    params: Mapping[str, str],
) -> bool:
    if sim.date_updated < since or (till is not None and sim.date_updated > till):
        return False
    if status is not None and sim.status != status:
        return False
    filters = ("accountId", *CUSTOM_FIELDS)
    return all(sim.text.get(name) == params[name] for name in filters if name in params)


def _cycle_start(value: str | None, today: date) -> date:
    if value is None:
        return today.replace(day=1)
    if _DAY.fullmatch(value) is None:
        raise CarrierError(codes.INVALID_DATE_FORMAT)
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CarrierError(codes.INVALID_DATE_FORMAT) from error


def _usage_figures(sim: Sim, cycle: date, today: date) -> tuple[int, int, int, int]:
    """Data bytes, SMS, voice seconds and sessions: zero unless the SIM has ever been activated."""
    if sim.date_activated is None or cycle > today:
        return 0, 0, 0, 0
    # hashlib, not hash(): Python salts str hashes per process, and figures must repeat across runs.
    digest = hashlib.sha256(f"{sim.iccid}/{cycle.isoformat()}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    return (
        rng.randrange(20_000, 8_000_000),  # an alarm panel's few MB of heartbeats and events
        rng.randrange(0, 12),
        rng.randrange(0, 600),
        rng.randrange(1, 400),
    )
