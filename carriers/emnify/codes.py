"""What emnify's error answers mean, for staff; shared by the client and the simulator.

emnify answers errors as ``{"error_code", "error_token", "message"}`` (emnify-openapi.yml, e.g.
``SimByIdPatchRequestBadRequestError``). It does not publish a catalogue of codes, so the meaning is
kept per HTTP status, and per error token where the simulator gives one (our choice of codes and tokens,
marked): the explanation is ours, the carrier's own words are quoted beside it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorToken:
    token: str
    code: int
    http_status: int
    carrier_message: str  # what the simulator says in "message"
    explanation: str  # what we tell staff


INVALID_TOKEN = "invalid_token"  # noqa: S105 (an error token's name, not a password)
TOKEN_EXPIRED = "token_expired"  # noqa: S105 (an error token's name, not a password)
NOT_FOUND = "not_found"
INVALID_STATUS_TRANSITION = "invalid_status_transition"
ENDPOINT_ASSIGNED = "endpoint_assigned"
NO_ENDPOINT = "no_endpoint"
INVALID_REQUEST = "invalid_request"
TOO_MANY_REQUESTS = "too_many_requests"
INTERNAL_ERROR = "internal_error"

# Codes and tokens: our choice (emnify publishes none); statuses as emnify answers them.
_TABLE = [
    ErrorToken(
        INVALID_TOKEN,
        1001,
        401,
        "Invalid application token.",
        "emnify refused the application token: check it in the communicator type (an application "
        "token is made in the emnify portal under Integrations).",
    ),
    ErrorToken(
        TOKEN_EXPIRED,
        1002,
        401,
        "Auth token expired.",
        "emnify's authentication token expired; a new one is asked for with the application token.",
    ),
    ErrorToken(
        NOT_FOUND,
        1404,
        404,
        "Resource not found.",
        "emnify has no such SIM or message in this organisation.",
    ),
    ErrorToken(
        INVALID_STATUS_TRANSITION,
        1100,
        400,
        "Status transition not allowed.",
        "emnify does not allow this status change from the SIM's current status.",
    ),
    ErrorToken(
        ENDPOINT_ASSIGNED,
        1101,
        409,
        "SIM is assigned to an endpoint.",
        "emnify deletes only SIMs without an endpoint: unassign the SIM from its endpoint first.",
    ),
    ErrorToken(
        NO_ENDPOINT,
        1102,
        422,
        "SIM has no endpoint.",
        "emnify sends SMS to an endpoint (the device), and this SIM has none.",
    ),
    ErrorToken(
        INVALID_REQUEST,
        1400,
        400,
        "Invalid request.",
        "emnify refused the request as malformed.",
    ),
    ErrorToken(
        TOO_MANY_REQUESTS,
        1429,
        429,
        "Too many requests.",
        "emnify's rate limit was exceeded; the call is retried after a pause.",
    ),
    ErrorToken(
        INTERNAL_ERROR,
        1500,
        500,
        "Internal server error.",
        "emnify is having trouble; this is temporary and the call can be retried.",
    ),
]
ERROR_TOKENS: dict[str, ErrorToken] = {entry.token: entry for entry in _TABLE}

# Per HTTP status, when the token is not one we know.
_BY_STATUS = {
    400: "emnify refused the request as malformed.",
    401: "emnify refused the authentication: check the communicator type's application token.",
    403: "emnify does not let this application token do that (its role or organisation).",
    404: "emnify has no such SIM or message in this organisation.",
    409: "emnify refused the change as it conflicts with the SIM's state.",
    422: "emnify refused the change as the SIM stands (for a status: not an allowed move).",
    429: "emnify's rate limit was exceeded; the call is retried after a pause.",
}


def explain(token: str | None, http_status: int) -> str:
    """What an error answer means and what to do."""
    entry = ERROR_TOKENS.get(token or "")
    if entry is not None:
        return entry.explanation
    if http_status >= 500:
        return "emnify is having trouble; this is temporary and the call can be retried."
    return _BY_STATUS.get(http_status, "emnify refused the call; see its message.")
