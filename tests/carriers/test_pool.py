"""The per-process pool of carrier connections."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from carriers import pool, registry
from carriers.accounts import CarrierAccount
from carriers.control_center_rest import KIND


class _SlowPlatform:
    """Connecting takes a while (a TLS context, a token), as it does on a real platform."""

    def __init__(self, real: Any) -> None:
        self.real, self.connects = real, 0
        self._lock = threading.Lock()

    def connect(self, account: CarrierAccount, **_: Any) -> Any:
        with self._lock:
            self.connects += 1
        time.sleep(0.1)
        return _Closable()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _Closable:
    def close(self) -> None:
        pass


@pytest.mark.usefixtures("env")
def test_threads_asking_at_once_share_one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, each of a bulk run's threads made its own connection at the start and all but one were
    thrown away: a second or more before the first call."""
    platform = _SlowPlatform(registry.platform(KIND))
    monkeypatch.setattr(registry, "platform", lambda kind: platform)
    account = CarrierAccount(7, KIND, "http://127.0.0.1:9/rws/api/v1", "u", "k", 5.0)
    pool.close_all()
    try:
        with ThreadPoolExecutor(16) as threads:
            carriers = list(threads.map(lambda _: pool.carrier(account), range(16)))
        assert platform.connects == 1
        assert len({id(carrier) for carrier in carriers}) == 1
        other = CarrierAccount(8, KIND, "http://127.0.0.1:9/rws/api/v1", "u", "k", 5.0)
        assert pool.carrier(other) is not carriers[0]  # another account, another connection
        assert platform.connects == 2
    finally:
        pool.close_all()
