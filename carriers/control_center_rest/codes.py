"""Cisco IoT Control Center (Jasper) REST error codes.

One table shared by the carrier client (to explain an answer to staff) and by the simulator (to give the
answers a real Control Center gives). Sources: the Patriot Jasper Task page's table and
`shared/reference/control-center-api.md` section 4. The HTTP status is the one documented, or our choice
where no source gives one (marked).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    http_status: int
    carrier_message: str  # what Control Center itself says, in errorMessage
    explanation: str  # what we tell staff: what it means and what to do


INVALID_CREDENTIALS = "10000001"
DATE_MISSING = "10000003"
INVALID_STATUS = "10000005"
INVALID_PAGE_SIZE = "10000006"
INVALID_PAGE_NUMBER = "10000007"
MISSING_FIELDS = "10000011"
INVALID_DATE_FORMAT = "10000012"
INVALID_RATE_PLAN = "10000013"
INVALID_OVERAGE_OVERRIDE = "10000016"
INVALID_MESSAGE_ENCODING = "10000017"
INVALID_DATA_CODING = "10000018"
INVALID_TPVP = "10000019"
MESSAGE_TOO_LONG = "10000020"
MALFORMED_JSON = "10000023"
INVALID_API_VERSION = "10000024"
UNRECOGNISED_PARAMETER = "10000028"
NO_RETURN_TO_PRE_ACTIVATION = "10000029"
ROLE_FORBIDDEN = "10000030"
ALREADY_ACTIVATED = "10030000"
INVALID_ICCID = "20000001"
SMS_NOT_FOUND = "20000002"
UNKNOWN_SERVER_ERROR = "30000001"
SMSC_FAILURE = "30000002"
RATE_LIMIT_EXCEEDED = "40000029"

_TABLE = [
    ErrorCode(
        INVALID_CREDENTIALS,
        401,
        "Invalid credentials.",
        "The carrier refused the user name and API key, or the calling IP address is not in "
        "the account's allowed range. Check the communicator type's credentials.",
    ),
    ErrorCode(
        DATE_MISSING, 400, "ModifiedSince is required.", "A required date was missing from the request."
    ),
    ErrorCode(INVALID_STATUS, 400, "Invalid status.", "The carrier does not accept that SIM status."),
    ErrorCode(
        INVALID_PAGE_SIZE,
        400,
        "Invalid page size.",  # HTTP status: our choice
        "A search asked for a page size the carrier does not allow (1 to 50).",
    ),
    ErrorCode(
        INVALID_PAGE_NUMBER,
        400,
        "Invalid page number.",  # HTTP status: our choice
        "A search asked for a page number the carrier does not allow (1 or more).",
    ),
    ErrorCode(
        "10000008",
        400,
        "Your role does not have access to operator and customer custom fields.",
        "The API user's role may not change operator or customer custom fields.",
    ),
    ErrorCode(
        "10000009",
        400,
        "Your role does not have access to account custom fields.",
        "The API user's role may not change account custom fields.",
    ),
    ErrorCode(
        "10000010",
        400,
        "Your role does not have access to customer custom field.",
        "The API user's role may not change customer custom fields.",
    ),
    ErrorCode(
        MISSING_FIELDS,
        400,
        "One or more required fields are missing.",
        "The request had nothing to change: a required field was missing.",
    ),
    ErrorCode(
        INVALID_DATE_FORMAT,
        400,
        "Invalid date format.",
        "A date in the request was not in the format the carrier expects.",
    ),
    ErrorCode(
        INVALID_RATE_PLAN,
        400,
        "Invalid rate plan.",  # HTTP status: our choice
        "The carrier does not know that rate plan for this account.",
    ),
    ErrorCode("10000015", 400, "Invalid customer.", "The carrier does not know that customer."),
    ErrorCode(
        INVALID_OVERAGE_OVERRIDE,
        400,
        "Invalid overage limit override.",  # HTTP: our choice
        "The overage limit override must be DEFAULT, TEMPORARY_OVERRIDE or PERMANENT_OVERRIDE.",
    ),
    ErrorCode(
        INVALID_MESSAGE_ENCODING,
        400,
        "Invalid message encoding.",
        "The SMS message encoding must be LITERAL or BASE64, and BASE64 text must decode.",
    ),
    ErrorCode(
        INVALID_DATA_CODING, 400, "Invalid data coding.", "The carrier does not accept that SMS data coding."
    ),
    ErrorCode(
        INVALID_TPVP, 400, "Invalid tpvp.", "The carrier does not accept that SMS validity period (tpvp)."
    ),
    ErrorCode(MESSAGE_TOO_LONG, 400, "Message too long.", "The SMS text is longer than the carrier allows."),
    ErrorCode(
        MALFORMED_JSON,
        400,
        "The JSON in the request is not well formed.",
        "The carrier could not parse the request body (a bug on our side: please report it).",
    ),
    ErrorCode(
        INVALID_API_VERSION,
        400,
        "Invalid API Version.",
        "The server address names an API version the carrier does not serve: it should end in /rws/api/v1.",
    ),
    ErrorCode("10000025", 400, "Invalid Device ID.", "The carrier does not know that device ID."),
    ErrorCode("10000026", 400, "Invalid modemID.", "The carrier does not know that modem ID."),
    ErrorCode(
        UNRECOGNISED_PARAMETER,
        400,
        "Invalid request.",
        "The request contained a parameter the carrier does not recognise.",
    ),
    ErrorCode(
        NO_RETURN_TO_PRE_ACTIVATION,
        400,
        "This SIM may not be moved back to a Pre Activation status.",
        "Once a SIM has been activated it cannot go back to Test Ready, Inventory or Activation Ready.",
    ),
    ErrorCode(
        ROLE_FORBIDDEN,
        400,
        "Your role does not have access to this API function.",
        "The API user's role may not use this function: ask the carrier account's "
        "administrator for an account-user role.",
    ),
    ErrorCode("10000031", 400, "Invalid Zone.", "The carrier does not know that zone."),
    ErrorCode(
        ALREADY_ACTIVATED,
        400,
        "Cannot activate a SIM which is already activated.",
        "The SIM was already activated.",
    ),
    ErrorCode(
        INVALID_ICCID,
        404,
        "Resource not found - Invalid ICCID",
        "The carrier has no SIM with this ICCID on this account. Check the add-on device's "
        "Device Ref No and the communicator type.",
    ),
    ErrorCode(
        SMS_NOT_FOUND,
        404,
        "Resource not found - Invalid SMS message id",  # HTTP: inferred
        "The carrier has no SMS message with that id.",
    ),
    ErrorCode(
        UNKNOWN_SERVER_ERROR,
        500,
        "Unknown server error.",
        "The carrier had an internal error; the call is retried.",
    ),
    ErrorCode(
        SMSC_FAILURE,
        500,
        "Failed to submit the message to the SMSC.",
        "The carrier could not hand the SMS to its message centre; the call is retried.",
    ),
    ErrorCode(
        RATE_LIMIT_EXCEEDED,
        400,
        "Rate Limit Exceeded",  # HTTP status: undocumented
        "The carrier account's calls-per-second limit was exceeded; the call is retried after a pause.",
    ),
]

ERROR_CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _TABLE}


def explain(code: str | None) -> str | None:
    """Our explanation of a carrier error code, or None for a code we have not catalogued."""
    entry = ERROR_CODES.get(code or "")
    return entry.explanation if entry else None
