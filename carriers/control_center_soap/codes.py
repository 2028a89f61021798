"""Control Center SOAP fault codes: what each means, and whether to retry.

SOAP has its own numbering (100100 device not found, 400101 rate limit ...; shared/reference/
control-center-api.md section 4 and 7, from Cisco's knowledge base) and, for EditTerminal, the tokens of the
official schema (SIMSTATUS_INVALID_TRANSITION ...). Where a SOAP code means what a REST code means, its
entry names that REST code (``same_as``) and staff read the REST catalogue's explanation: one place for
each meaning's words. One table, shared by the client (to explain a fault) and by the simulator (to answer
the faults a real Control Center gives, ``for_rest`` below).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from carriers.control_center_rest import codes as rest


class Outcome(enum.Enum):
    """What a fault means for the caller (the carrier error class the client raises)."""

    FINAL = "final"  # CarrierRejected
    RETRY = "retry"  # CarrierUnavailable
    RATE_LIMITED = "rate_limited"  # CarrierRateLimited
    AUTH = "auth"  # CarrierAuthFailed


@dataclass(frozen=True, slots=True)
class FaultCode:
    code: str
    outcome: Outcome
    carrier_message: str  # what Control Center itself says about it
    same_as: str | None = None  # the REST code of the same meaning, whose explanation staff read
    explanation: str | None = None  # ours, for a code with no REST twin

    @property
    def server_side(self) -> bool:
        """Whether the fault is the server's (soap:Server) rather than the request's (soap:Client)."""
        return self.outcome is Outcome.RETRY


DEVICE_NOT_FOUND = "100100"
INVALID_ICCID = "100101"
INVALID_CHANGE_TYPE = "100200"
INVALID_EDIT_REQUEST = "100300"
INVALID_RATE_PLAN = "100520"
INVALID_LICENSE_KEY = "400100"
RATE_LIMIT_EXCEEDED = "400101"
SECURITY_VALIDATION = "400200"
ACCESS_VIOLATION = "400201"
INTERNAL_ERROR = "400300"
TOO_MANY_ENTRIES = "400400"
SMS_NOT_FOUND = "500300"
MESSAGE_TEXT_NULL = "500400"
MESSAGE_TOO_LONG = "500500"
SEND_FAILURE = "500600"
PURGED = "1120102"
SIMSTATUS_INVALID = "SIMSTATUS_INVALID"
SIMSTATUS_INVALID_TRANSITION = "SIMSTATUS_INVALID_TRANSITION"
SIMSTATUS_TRANSITION_UNAUTHORIZED = "SIMSTATUS_TRANSITION_UNAUTHORIZED"
SIMSTATUS_SUSPENDED = "SIMSTATUS_SUSPENDED"
RATEPLAN_INVALID = "RATEPLAN_INVALID"

_TABLE = [
    FaultCode(
        DEVICE_NOT_FOUND,
        Outcome.FINAL,
        "Device not found.",
        same_as=rest.INVALID_ICCID,
    ),
    FaultCode(
        INVALID_ICCID,
        Outcome.FINAL,
        "Invalid ICCID.",
        explanation="The ICCID is not a valid ICCID (19 or 20 digits): check the add-on device's "
        "Device Ref No.",
    ),
    FaultCode(
        INVALID_CHANGE_TYPE,
        Outcome.FINAL,
        "Invalid device change type.",
        explanation="The carrier does not accept that kind of change (a bug on our side: please report it).",
    ),
    FaultCode(
        INVALID_EDIT_REQUEST,
        Outcome.FINAL,
        "Invalid edit terminal request.",
        same_as=rest.UNRECOGNISED_PARAMETER,
    ),
    FaultCode(INVALID_RATE_PLAN, Outcome.FINAL, "Invalid rate plan.", same_as=rest.INVALID_RATE_PLAN),
    FaultCode(
        INVALID_LICENSE_KEY,
        Outcome.AUTH,
        "Invalid license key.",
        explanation="The carrier refused the licence key: check the communicator type's licence key (a "
        "sandbox key does not work on the production host, nor the other way round).",
    ),
    FaultCode(
        RATE_LIMIT_EXCEEDED,
        Outcome.RATE_LIMITED,
        "License has exceeded the rate limit for API calls.",
        same_as=rest.RATE_LIMIT_EXCEEDED,
    ),
    FaultCode(
        SECURITY_VALIDATION,
        Outcome.AUTH,
        "Security validation error.",
        explanation="The carrier refused the user name and password (WS-Security): check the communicator "
        "type's credentials.",
    ),
    FaultCode(
        ACCESS_VIOLATION,
        Outcome.FINAL,
        "Access violation error.",
        explanation="The API user may not do this: the SIM belongs to another account or service "
        "provider than the user's, or the account lacks the operation (a SIM exchange needs Control "
        "Center's SimRmaExchange entitlement).",
    ),
    FaultCode(INTERNAL_ERROR, Outcome.RETRY, "System internal error.", same_as=rest.UNKNOWN_SERVER_ERROR),
    FaultCode(
        TOO_MANY_ENTRIES,
        Outcome.FINAL,
        "Too many entries.",
        explanation="The request asked about more SIMs at once than the carrier allows (50).",
    ),
    FaultCode(SMS_NOT_FOUND, Outcome.FINAL, "SMS message not found.", same_as=rest.SMS_NOT_FOUND),
    FaultCode(MESSAGE_TEXT_NULL, Outcome.FINAL, "Message text null.", explanation="The SMS text is empty."),
    FaultCode(
        MESSAGE_TOO_LONG,
        Outcome.FINAL,
        "Message text greater than 160 characters.",
        same_as=rest.MESSAGE_TOO_LONG,
    ),
    FaultCode(SEND_FAILURE, Outcome.RETRY, "Send message failure.", same_as=rest.SMSC_FAILURE),
    FaultCode(
        PURGED,
        Outcome.FINAL,
        "Invalid operation for SimStatus is Purged.",
        explanation="The SIM is purged: the carrier allows no change to it.",
    ),
    FaultCode(SIMSTATUS_INVALID, Outcome.FINAL, "Invalid SIM status value.", same_as=rest.INVALID_STATUS),
    FaultCode(
        SIMSTATUS_INVALID_TRANSITION,
        Outcome.FINAL,
        "New SIM value not allowed based on current value.",
        same_as=rest.NO_RETURN_TO_PRE_ACTIVATION,
    ),
    FaultCode(
        SIMSTATUS_TRANSITION_UNAUTHORIZED,
        Outcome.FINAL,
        "New SIM value not allowed.",
        explanation="The API user's role or the account may not move SIMs to that status.",
    ),
    FaultCode(
        SIMSTATUS_SUSPENDED,
        Outcome.FINAL,
        "Cannot change SIM Status for suspended or fraud review SIM.",
        explanation="The SIM is suspended or under fraud review at the carrier: its status cannot change.",
    ),
    FaultCode(
        RATEPLAN_INVALID, Outcome.FINAL, "Rate Plan requested not available.", same_as=rest.INVALID_RATE_PLAN
    ),
]

FAULT_CODES: dict[str, FaultCode] = {entry.code: entry for entry in _TABLE}


def explain(code: str | None) -> str | None:
    """Our explanation of a SOAP fault code, or None for a code we have not catalogued."""
    entry = FAULT_CODES.get(code or "")
    if entry is None:
        return None
    return entry.explanation or rest.explain(entry.same_as)


def for_rest(rest_code: str) -> FaultCode:
    """The SOAP fault that answers what REST answers with ``rest_code`` (the simulator's rules speak REST
    codes); an invalid request for a REST code without a SOAP twin."""
    twin = _BY_REST.get(rest_code)
    return twin if twin is not None else FAULT_CODES[INVALID_EDIT_REQUEST]


# The first SOAP entry of each meaning answers for it; a few REST codes mean what a SOAP code says.
_BY_REST: dict[str, FaultCode] = {}
for _entry in _TABLE:
    if _entry.same_as is not None:
        _BY_REST.setdefault(_entry.same_as, _entry)
_BY_REST[rest.INVALID_CREDENTIALS] = FAULT_CODES[SECURITY_VALIDATION]
_BY_REST[rest.INVALID_ICCID] = FAULT_CODES[DEVICE_NOT_FOUND]
