"""What can go wrong when Commissioner talks to a carrier, as a small exception tree.

The tree tells a task what to do, whatever the carrier:

    CarrierError
    ├── CarrierUnavailable        retry later: unreachable, timed out, 5xx
    │   └── CarrierRateLimited    retry after a pause (retry_after, when the carrier gave one)
    └── CarrierRejected           final: retrying the same call gives the same answer
        └── CarrierAuthFailed     final for the account: every call with its credentials fails

The message is written for staff: it names the operation, the ICCID, the carrier's error code, HTTP
status and message, and what we think it means. It never carries the API key or the Authorization
header.
"""

from __future__ import annotations


class CarrierError(Exception):
    """A carrier call did not succeed; `message` says why, for staff."""

    message: str
    error_code: str | None  # the carrier's own code, e.g. "20000001"; None when it gave none
    http_status: int | None  # None when no HTTP answer came back (timeout, connection error)
    operation: str | None  # the client method that failed, e.g. "set_status"
    iccid: str | None  # the SIM the call was about, when it was about one

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        http_status: int | None = None,
        operation: str | None = None,
        iccid: str | None = None,
    ) -> None:
        # Only the message goes into args: args end up in reprs, logs and Celery results.
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.http_status = http_status
        self.operation = operation
        self.iccid = iccid

    def __str__(self) -> str:
        return self.message


class CarrierUnavailable(CarrierError):
    """Retryable: the carrier could not be reached, timed out, failed internally or throttled us."""


class CarrierRateLimited(CarrierUnavailable):
    """Retryable after a pause: the account's calls-per-second limit was exceeded."""

    retry_after: float | None  # seconds, from a Retry-After header; Control Center documents none

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        http_status: int | None = None,
        operation: str | None = None,
        iccid: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            error_code=error_code,
            http_status=http_status,
            operation=operation,
            iccid=iccid,
        )
        self.retry_after = retry_after


class CarrierRejected(CarrierError):
    """Final: the carrier (or our own check before sending) refused the request as it stands."""


class CarrierAuthFailed(CarrierRejected):
    """Final for the account: the credentials or the calling IP address were refused."""
