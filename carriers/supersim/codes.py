"""Super SIM's error codes (Twilio's, kept by KORE), for staff; shared by the client and the simulator.

Errors are ``{"code", "message", "more_info", "status"}``. Sources: twilio.com/docs/api/errors/<code>
(shared/reference/carrier-platforms.md §1). The HTTP status is the documented one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: int
    http_status: int
    carrier_message: str
    explanation: str


INVALID_PARAMETER = 20001
AUTHENTICATE = 20003
NOT_FOUND = 20404
TOO_MANY_REQUESTS = 20429
INTERNAL_ERROR = 20500
INVALID_TRANSITION = 83010

_TABLE = [
    ErrorCode(
        INVALID_PARAMETER,
        400,
        "Invalid parameter",
        "The carrier refused a parameter of the request.",
    ),
    ErrorCode(
        AUTHENTICATE,
        401,
        "Authenticate",
        "The carrier refused the Account SID and auth token: check the communicator type's user name "
        "(the Account SID) and its auth token.",
    ),
    ErrorCode(
        NOT_FOUND,
        404,
        "The requested resource was not found",
        "The carrier has no such SIM or SMS Command in this account.",
    ),
    ErrorCode(
        TOO_MANY_REQUESTS,
        429,
        "Too Many Requests",
        "The account's concurrency limit was exceeded; it is safe to retry, and the call is retried "
        "after a pause.",
    ),
    ErrorCode(
        INTERNAL_ERROR,
        500,
        "Internal Server Error",
        "The carrier is having trouble; this is temporary and the call can be retried.",
    ),
    ErrorCode(
        INVALID_TRANSITION,
        400,
        "Invalid Super SIM status transition",
        "Super SIM does not allow this status change from the SIM's current status (ready only from new).",
    ),
]
ERROR_CODES: dict[int, ErrorCode] = {entry.code: entry for entry in _TABLE}


def explain(code: int | None, http_status: int) -> str:
    entry = ERROR_CODES.get(code) if code is not None else None
    if entry is not None:
        return entry.explanation
    if http_status >= 500:
        return ERROR_CODES[INTERNAL_ERROR].explanation
    if http_status == 401:
        return ERROR_CODES[AUTHENTICATE].explanation
    if http_status == 429:
        return ERROR_CODES[TOO_MANY_REQUESTS].explanation
    return "The carrier refused the call; see its message and the code's page at twilio.com/docs/api/errors."
