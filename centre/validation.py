"""Checks of values entered by people or other systems, each raising InvalidInput with a clear message."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from carriers import addresses
from centre.errors import InvalidInput

_CLIENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")
_ICCID = re.compile(r"^[0-9]{19,20}$")  # ASCII digits only: \d would take any script's digits


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others (as on every ICCID)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iccid(value: str) -> str:
    """A SIM's ICCID: 19 or 20 digits ending in a valid Luhn check digit."""
    cleaned = value.strip().replace(" ", "")
    if not _ICCID.fullmatch(cleaned):
        raise InvalidInput(f"ICCID {value!r} must be 19 or 20 digits")
    if not luhn_valid(cleaned):
        raise InvalidInput(f"ICCID {cleaned} has a wrong check digit (Luhn): check for a typo")
    return cleaned


def client_code(value: str) -> str:
    """A client code: 1 to 16 letters, digits, '-' or '_'."""
    cleaned = value.strip()
    if not _CLIENT_CODE.fullmatch(cleaned):
        raise InvalidInput(
            f"client code {value!r} must be 1 to 16 letters, digits, '-' or '_' (starting with a "
            "letter or digit)"
        )
    return cleaned


def server_address(value: str, api_path: str = "/rws/api/v1") -> str:
    """A carrier API base address: https:// (http:// only where insecure carriers are allowed), a
    public host, and the API path (``api_path``, the platform's: e.g. /rws/api/v1). See
    carriers/addresses.py for why."""
    cleaned = value.strip().rstrip("/")
    if len(cleaned) > 500:  # the column's size
        raise InvalidInput("server address must be at most 500 characters")
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        raise InvalidInput(f"server address {value!r} is not a valid address") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(
            f"server address {value!r} must start with http:// or https:// "
            "(e.g. https://restapi1.jasper.com/rws/api/v1)"
        )
    if not parts.hostname:
        raise InvalidInput(f"server address {value!r} has no host name")
    try:
        parts.port  # noqa: B018 - reading it is the check: urlsplit parses the port lazily
    except ValueError:
        raise InvalidInput(f"server address {value!r} has a malformed port") from None
    if parts.username or parts.password:
        raise InvalidInput("server address must not contain a user name or password")
    if parts.query or parts.fragment:
        raise InvalidInput(f"server address {value!r} must not have a query or fragment")
    if not parts.path or parts.path == "/":
        raise InvalidInput(f"server address {value!r} must include the API path, e.g. {cleaned}{api_path}")
    _host_name(value, cleaned)
    try:
        addresses.check(cleaned)
    except addresses.AddressRefused as exc:
        raise InvalidInput(str(exc)) from None
    return cleaned


def _host_name(value: str, cleaned: str) -> None:
    """The host must be one a connection can be made to: IDNA-valid, labels of 1 to 63 characters."""
    try:
        host = httpx.URL(cleaned).host
    except httpx.InvalidURL:
        raise InvalidInput(f"server address {value!r} has a host name that is not valid") from None
    labels = host.strip("[]").rstrip(".").split(".") if ":" not in host else []
    if len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        raise InvalidInput(f"server address {value!r} has a host name that is not valid")


# Control characters (but tab): line breaks, NUL, and the escape sequences that would forge lines or
# colours in a terminal showing the text (C0, DEL, C1 including CSI), and the Unicode line separators.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
MAX_MEMO = 1000


def required_text(value: str, what: str, max_length: int) -> str:
    """A non-empty single-line text of at most ``max_length`` characters, without control characters."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{what} must not be empty")
    return line(cleaned, what, max_length)


def line(value: str, what: str, max_length: int) -> str:
    """A single-line text (may be empty) of at most ``max_length`` characters, without control
    characters: what every free-text field takes, whatever edge it came by."""
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise InvalidInput(f"{what} must be at most {max_length} characters, not {len(cleaned):,}")
    if _CONTROL.search(cleaned):
        raise InvalidInput(f"{what} must be a single line of text, without control characters")
    return cleaned


def memo(value: str) -> str:
    """A signal's memo, as people and other systems may write it."""
    return line(value, "memo", MAX_MEMO)


def clipped(value: str, max_length: int = MAX_MEMO) -> str:
    """Text we write ourselves (a carrier's explained answer), made a safe memo: control characters
    replaced, cut at ``max_length``."""
    cleaned = _CONTROL.sub(" ", value).strip()
    return cleaned if len(cleaned) <= max_length else cleaned[: max_length - 1] + "…"


def printable(value: str) -> str:
    """Text safe to write to a terminal: control characters shown as escapes, never acted on."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], value)


def number_in_range(value: int, what: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidInput(f"{what} must be between {low} and {high}, not {value}")
    return value


def with_luhn_digit(digits: str) -> str:
    """``digits`` followed by their Luhn check digit (to make test and demo ICCIDs)."""
    for check in "0123456789":
        if luhn_valid(digits + check):
            return digits + check
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")
