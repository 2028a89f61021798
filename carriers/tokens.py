"""A bearer token kept for one carrier account's connection (emnify's JWT, KORE's OAuth2 access token).

The token is fetched when first needed and shared by every call and thread of the connection. It is
renewed ``renew_before_s`` before the expiry its carrier stated, and once when the carrier refuses it in
the middle of its life: the first caller to see the refusal renews it, the others take the new one.
Token endpoints have small limits of their own (emnify: 100 a 5 minutes per address), so a refused
credential is not offered again for ``min_interval_s``: every call waiting on it gets the same refusal.

The platform's client supplies ``fetch``, the one call that trades its credential for a token; it raises
the platform's ``CarrierError`` when refused (``CarrierAuthFailed`` for a wrong credential).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from carriers.errors import CarrierAuthFailed

RENEW_BEFORE_S = 60.0  # a token this close to its expiry is renewed before use
MIN_INTERVAL_S = 3.0  # a refused credential is not offered again sooner


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token and when it expires, on the cache's clock (seconds since the epoch)."""

    value: str
    expires: float


class TokenCache:
    """One account connection's bearer token, thread-safe."""

    def __init__(
        self,
        fetch: Callable[[], Token],
        *,
        clock: Callable[[], float] = time.time,
        renew_before_s: float = RENEW_BEFORE_S,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        self._fetch, self._clock = fetch, clock
        self._renew_before_s, self._min_interval_s = renew_before_s, min_interval_s
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._last_fetch = -min_interval_s
        self._refused: CarrierAuthFailed | None = None

    @property
    def current(self) -> str | None:
        """The token held now, if any (for redacting it from messages; never to log)."""
        token = self._token
        return token.value if token is not None else None

    def get(self) -> str:
        """A token valid for at least ``renew_before_s`` more, fetched if there is none such."""
        with self._lock:
            token = self._token
            if token is not None and self._clock() < token.expires - self._renew_before_s:
                return token.value
            return self._renewed()

    def refused(self, value: str) -> str:
        """A new token in place of ``value``, which the carrier refused; the one another caller has
        fetched meanwhile if it already replaced ``value``."""
        with self._lock:
            if self._token is not None and self._token.value != value:
                return self._token.value
            return self._renewed()

    def renew(self) -> str:
        """A new token whatever the one held (proves the credential: a connection test)."""
        with self._lock:
            return self._renewed()

    def _renewed(self) -> str:
        recently = self._clock() - self._last_fetch < self._min_interval_s
        if recently and self._refused is not None:
            raise copy.copy(self._refused)
        self._last_fetch = self._clock()
        try:
            token = self._fetch()
        except CarrierAuthFailed as exc:
            self._refused = exc
            raise
        self._refused, self._token = None, token
        return token.value
