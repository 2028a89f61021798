"""Checks of values people and other systems enter."""

from __future__ import annotations

import contextlib

import pytest

from centre import validation
from centre.errors import InvalidInput
from tests.factories import iccid

# Independent Luhn examples: Wikipedia's, and the well-known Visa test card number.
LUHN_VALID = ["79927398713", "4111111111111111"]
LUHN_INVALID = ["79927398710", "4111111111111112"]


def test_luhn_matches_independent_examples() -> None:
    assert all(validation.luhn_valid(n) for n in LUHN_VALID)
    assert not any(validation.luhn_valid(n) for n in LUHN_INVALID)


def test_valid_19_and_20_digit_iccids_are_accepted() -> None:
    for good in (validation.with_luhn_digit("898821671697000497"), iccid(5)):
        assert validation.iccid(good) == good


def test_every_single_digit_typo_is_caught() -> None:
    good = iccid(123)
    for position, digit in enumerate(good):
        for other in "0123456789":
            if other != digit:
                typo = good[:position] + other + good[position + 1 :]
                assert not validation.luhn_valid(typo), typo


def test_with_luhn_digit_completes_a_valid_number() -> None:
    for prefix in ("898821671697000497", "8901170227812462303", "0" * 18):
        completed = validation.with_luhn_digit(prefix)
        assert completed[:-1] == prefix
        assert validation.luhn_valid(completed)


def test_spaces_in_an_iccid_are_removed() -> None:
    good = iccid(5)
    spaced = f" {good[:4]} {good[4:8]} {good[8:12]} {good[12:]} "

    assert validation.iccid(spaced) == good


@pytest.mark.parametrize(
    "bad",
    ["", "898821671697000497", "898821671697000497512", "8988216716970004975X", "8988-2167-1697-0004-975"],
    ids=["empty", "18-digits", "21-digits", "letter", "dashes"],
)
def test_an_iccid_must_be_19_or_20_digits(bad: str) -> None:
    with pytest.raises(InvalidInput, match="must be 19 or 20 digits"):
        validation.iccid(bad)


def test_an_iccid_with_a_wrong_check_digit_names_the_luhn_check() -> None:
    good = iccid(5)
    typo = good[:-1] + str((int(good[-1]) + 3) % 10)

    with pytest.raises(InvalidInput, match=rf"{typo} has a wrong check digit \(Luhn\)"):
        validation.iccid(typo)


@pytest.mark.parametrize("good", ["C", "1", "abc-123_X", "A" * 16, " C1 "])
def test_good_client_codes(good: str) -> None:
    assert validation.client_code(good) == good.strip()


@pytest.mark.parametrize("bad", ["", " ", "A" * 17, "-C1", "_C1", "C 1", "C1!", "Ç1", "C\n1"])
def test_bad_client_codes(bad: str) -> None:
    with pytest.raises(InvalidInput, match="client code"):
        validation.client_code(bad)


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("https://restapi1.jasper.com/rws/api/v1", "https://restapi1.jasper.com/rws/api/v1"),
        (" http://127.0.0.1:8080/rws/api/v1/ ", "http://127.0.0.1:8080/rws/api/v1"),
    ],
)
def test_good_server_addresses(given: str, cleaned: str) -> None:
    assert validation.server_address(given) == cleaned


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("restapi1.jasper.com/rws/api/v1", "must start with http:// or https://"),
        ("ftp://restapi1.jasper.com/rws/api/v1", "must start with http:// or https://"),
        ("https:///rws/api/v1", "has no host name"),
        ("https://user:pw@restapi1.jasper.com/rws/api/v1", "must not contain a user name or password"),
        ("https://restapi1.jasper.com/rws/api/v1?x=1", "must not have a query or fragment"),
        ("https://restapi1.jasper.com/rws/api/v1#top", "must not have a query or fragment"),
        ("https://restapi1.jasper.com", "must include the API path"),
        ("https://restapi1.jasper.com/", "must include the API path"),
    ],
)
def test_bad_server_addresses(bad: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validation.server_address(bad)


def test_a_server_address_error_never_repeats_the_password() -> None:
    with pytest.raises(InvalidInput) as caught:
        validation.server_address("https://user:hunter2@host/rws/api/v1")

    assert "hunter2" not in str(caught.value)


def test_required_text() -> None:
    assert validation.required_text("  name ", "name", 10) == "name"
    assert validation.required_text("x" * 10, "name", 10) == "x" * 10
    for bad, message in [
        ("", "must not be empty"),
        ("x" * 11, "must be at most 10"),
        ("a\nb", "must be a single line"),
    ]:
        with pytest.raises(InvalidInput, match=f"name {message}"):
            validation.required_text(bad, "name", 10)


def test_number_in_range_includes_both_ends() -> None:
    assert validation.number_in_range(0, "n", 0, 9) == 0
    assert validation.number_in_range(9, "n", 0, 9) == 9
    for bad in (-1, 10):
        with pytest.raises(InvalidInput, match=f"n must be between 0 and 9, not {bad}"):
            validation.number_in_range(bad, "n", 0, 9)


def _fullwidth(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)  # U+FF10 is FULLWIDTH DIGIT ZERO


def test_an_iccid_is_never_accepted_with_non_ascii_digits() -> None:
    typed = _fullwidth(iccid(5))  # what a CJK input method or a pasted spreadsheet cell gives

    with contextlib.suppress(InvalidInput):
        assert validation.iccid(typed).isascii()


def test_a_server_address_with_a_malformed_port_is_refused() -> None:
    with pytest.raises(InvalidInput):
        validation.server_address("https://restapi1.jasper.com:443x/rws/api/v1")
