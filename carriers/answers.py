"""Reading carrier answers and writing their errors, as the JSON platforms (Control Center REST, emnify,
Super SIM) share it.

A platform's client keeps its own calls and its own error catalogue, and uses these for what every
JSON-over-HTTPS carrier needs alike: lenient reading of values, the carrier's words made fit to quote
(never our credentials), why a call got no answer, the server address checked, and (``send``, for the
clients built on ``Call``) one paced request.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from carriers import http as carrier_http
from carriers.errors import CarrierRejected, CarrierUnavailable

log = logging.getLogger(__name__)

QUOTE_LIMIT = 300  # characters of the carrier's own text quoted in a message

# These failures happen before the request reaches the carrier, so a write cannot have been applied.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


def text(value: Any) -> str | None:
    """A non-empty string, or an id sent as a number; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def count(value: Any) -> int | None:
    """A whole number sent as a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def number(value: Any) -> float | None:
    """A finite number sent as a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (a trailing Z too) as an aware datetime; naive is UTC; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:  # also UnicodeDecodeError
        return None


def readable(response: httpx.Response, title: str, operation: str, iccid: str | None) -> Any:
    """The answer's JSON. A cut or unreadable answer raises CarrierUnavailable: cut off on the way (a
    dropped connection, a proxy), the next try is likely whole; it says nothing of the server address."""
    answer = json_or_none(response)
    if answer is None:
        raise CarrierUnavailable(
            f"{title} failed: its answer (HTTP {response.status_code}) was cut off or unreadable; "
            "the call can be retried.",
            http_status=response.status_code,
            operation=operation,
            iccid=iccid,
        )
    return answer


def http_date(value: str) -> datetime | None:
    """An HTTP date (RFC 9110) as an aware datetime; None if absent or unreadable."""
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header in either form; None if absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = http_date(value)
        return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def clean(words: str, secrets: tuple[str, ...]) -> str:
    """Carrier text fit to quote: one short line, without our credentials should it echo them."""
    words = " ".join(redact(words, secrets).split())
    return words if len(words) <= QUOTE_LIMIT else words[: QUOTE_LIMIT - 1] + "…"


def redact(words: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            words = words.replace(secret, "[redacted]")
    return words


def quoted(carrier_message: str | None) -> str:
    """The carrier's words as the end of a sentence."""
    if not carrier_message:
        return "."
    return f' "{carrier_message}"' + ("" if carrier_message.endswith((".", "!", "?")) else ".")


def no_answer(title: str, method: str, exc: httpx.TransportError, host: str, secrets: tuple[str, ...]) -> str:
    """Why no answer came back, and whether a write may have been applied all the same."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"{title} failed: the carrier timed out ({host} did not answer: {name})."
    else:
        detail = clean(str(exc), secrets)
        message = (
            f"{title} failed: the carrier was unreachable ({host}: {name}{': ' + detail if detail else ''})."
        )
    if isinstance(exc, NOT_SENT) or method == "GET":
        return f"{message} Nothing was changed; the call can be retried."
    return f"{message} The change may or may not have been applied: re-read the SIM before trying again."


def base_url(server_address: str, example: str) -> str:
    """The API base without its trailing slash; CarrierRejected for what cannot be a plain http(s) base."""
    address = server_address.strip().rstrip("/")
    try:
        url: httpx.URL | None = httpx.URL(address)
    except httpx.InvalidURL:
        url = None
    if url is not None and url.userinfo:
        # Do not echo it: the address itself holds a password.
        raise CarrierRejected(
            "The carrier server address must not contain a user name or password: put them in the "
            "communicator type's credentials."
        )
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise CarrierRejected(
            f"The carrier server address {address!r} is not valid: it should look like {example}."
        )
    return address


@dataclass(frozen=True, slots=True)
class Call:
    """One call to a JSON platform: what it is for (staff's words and the log), and what is sent. Each
    platform's client names itself in a subclass (``platform``)."""

    platform: ClassVar[str]
    operation: str
    label: str
    method: str
    path: str
    iccid: str | None = None
    params: dict[str, str | int] | None = None
    body: dict[str, Any] | None = None  # sent as JSON
    form: dict[str, str] | None = None  # sent form-encoded

    @property
    def title(self) -> str:
        return f"{self.platform} {self.label}" + (f" for ICCID {self.iccid}" if self.iccid else "")


@dataclass(frozen=True, slots=True)
class Link:
    """How a client reaches its platform: the connection, where it is (for messages), the limits of an
    answer, the pacer's hook run before every call, and the secrets no message may quote."""

    http: httpx.Client
    host: str
    deadline_s: float
    max_bytes: int
    before_call: Callable[[], None] | None


def send(link: Link, call: Call, headers: dict[str, str], secrets: tuple[str, ...]) -> httpx.Response:
    """Send ``call`` once, after its pacing slot; a call that got no answer raises CarrierUnavailable
    saying whether a write may have landed. Any answer is returned, whatever its status."""
    if link.before_call is not None:
        link.before_call()
    try:
        response = carrier_http.request(
            link.http,
            call.method,
            call.path,
            deadline_s=link.deadline_s,
            max_bytes=link.max_bytes,
            params=call.params,
            json=call.body,
            data=call.form,
            headers=headers,
        )
    except httpx.TransportError as exc:
        log.info("%s %s for ICCID %s: %s", call.platform, call.operation, call.iccid, type(exc).__name__)
        message = no_answer(call.title, call.method, exc, link.host, secrets)
        raise CarrierUnavailable(message, operation=call.operation, iccid=call.iccid) from exc
    log.debug("%s %s for ICCID %s: HTTP %s", call.platform, call.operation, call.iccid, response.status_code)
    return response
