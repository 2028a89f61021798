"""The bearer-token cache emnify's and KORE's clients share: fetched once, renewed before expiry, renewed
once when refused, a refused credential not offered again at once."""

from __future__ import annotations

import threading

import pytest

from carriers.errors import CarrierAuthFailed, CarrierUnavailable
from carriers.tokens import Token, TokenCache

NOW = 1_800_000_000.0


class Issuer:
    """A token endpoint: numbered tokens living ``life`` seconds, or the error it is told to raise."""

    def __init__(self, clock: list[float], life: float = 3600.0) -> None:
        self.clock, self.life = clock, life
        self.calls = 0
        self.error: Exception | None = None

    def __call__(self) -> Token:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return Token(f"token-{self.calls}", self.clock[0] + self.life)


@pytest.fixture
def clock() -> list[float]:
    return [NOW]


def cache(issuer: Issuer, clock: list[float]) -> TokenCache:
    return TokenCache(issuer, clock=lambda: clock[0])


def test_the_token_is_fetched_once_and_shared(clock: list[float]) -> None:
    issuer = Issuer(clock)
    tokens = cache(issuer, clock)
    assert tokens.current is None
    assert [tokens.get() for _ in range(3)] == ["token-1"] * 3
    assert issuer.calls == 1
    assert tokens.current == "token-1"


def test_it_is_renewed_a_minute_before_it_expires(clock: list[float]) -> None:
    issuer = Issuer(clock, life=600)
    tokens = cache(issuer, clock)
    tokens.get()
    clock[0] += 600 - 61
    assert tokens.get() == "token-1"
    clock[0] += 2  # now within the last minute
    assert tokens.get() == "token-2"
    assert issuer.calls == 2


def test_a_refused_token_is_renewed_once_for_every_caller_it_was_refused_to(clock: list[float]) -> None:
    issuer = Issuer(clock)
    tokens = cache(issuer, clock)
    refused = tokens.get()
    assert tokens.refused(refused) == "token-2"
    # A second caller that was refused the same token takes the new one: no second fetch.
    assert tokens.refused(refused) == "token-2"
    assert issuer.calls == 2


def test_a_refused_credential_is_not_offered_again_at_once(clock: list[float]) -> None:
    issuer = Issuer(clock)
    issuer.error = CarrierAuthFailed("KORE token failed: invalid_client")
    tokens = cache(issuer, clock)
    for _ in range(3):
        with pytest.raises(CarrierAuthFailed, match="invalid_client"):
            tokens.get()
    assert issuer.calls == 1
    clock[0] += 3.5
    issuer.error = None
    assert tokens.get() == "token-2"


def test_a_token_endpoint_that_is_down_is_asked_again_by_the_next_call(clock: list[float]) -> None:
    issuer = Issuer(clock)
    issuer.error = CarrierUnavailable("token endpoint: HTTP 503")
    tokens = cache(issuer, clock)
    with pytest.raises(CarrierUnavailable):
        tokens.get()
    issuer.error = None
    assert tokens.get() == "token-2"


def test_renew_fetches_whatever_is_held(clock: list[float]) -> None:
    issuer = Issuer(clock)
    tokens = cache(issuer, clock)
    tokens.get()
    assert tokens.renew() == "token-2"


def test_threads_share_one_fetch(clock: list[float]) -> None:
    issuer = Issuer(clock)
    tokens = cache(issuer, clock)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(tokens.get())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["token-1"] * 16
    assert issuer.calls == 1
