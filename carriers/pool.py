"""One paced connection per carrier account per process.

Everything that calls a carrier (commissioning, the SIM console, drift reconciliation, Test connection)
takes the account's ``Carrier`` from here: connections are reused between tasks, and every call first
waits for its slot in the account's calls-per-second budget, shared by every process on every host
(``carriers/pacing.py``). Works the same for every platform (``carriers/registry.py``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from carriers import addresses, registry
from carriers.accounts import CarrierAccount
from carriers.errors import CarrierRejected
from carriers.pacing import CallBudgetExhausted, Pacer, account_key, make_pacer, wait_for_slot
from carriers.platform import Carrier
from config import get_config


@dataclass
class Pressure:
    """How hard an account's calls-per-second budget is pressed, as this process last saw it."""

    calls_per_second: float
    last_wait_s: float = 0.0  # how long the last call waited for its slot

    @property
    def queued(self) -> bool:
        """Whether calls queue for the budget: the last one waited for others ahead of it."""
        return self.last_wait_s > 2 / self.calls_per_second


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[object, ...], tuple[Carrier, Pressure]] = {}
        self._making: dict[tuple[object, ...], threading.Lock] = {}
        self._pacer: Pacer | None = None

    def entry(self, account: CarrierAccount) -> tuple[Carrier, Pressure]:
        # Keyed by everything a connection is made of: a changed address, secret or rate is a new one.
        sealed = "\0".join(f"{name}={value}" for name, value in sorted(account.secrets.items()))
        fingerprint = hashlib.sha256(f"{account.secret}\0{sealed}".encode()).hexdigest()
        key: tuple[object, ...] = (
            account.communicator_type_id,
            account.kind,
            account.server_address,
            account.user_name,
        )
        key += (fingerprint, account.calls_per_second)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                return found
            making = self._making.setdefault(key, threading.Lock())
        # One thread connects, the others of a bulk run wait for its connection: each making its own (a
        # TLS context, a token) costs them all a second or more at the start. Outside the pool's lock:
        # connecting may resolve the carrier's name, and other accounts must not wait for that.
        with making:
            with self._lock:
                found = self._entries.get(key)
            if found is None:
                found = self._connect(account)
                with self._lock:
                    self._entries[key] = found
                    self._making.pop(key, None)
        return found

    def _connect(self, account: CarrierAccount, timeout_s: float | None = None) -> tuple[Carrier, Pressure]:
        config = get_config()
        _check_address(account)
        with self._lock:
            if self._pacer is None:
                self._pacer = make_pacer(config)
            pacer = self._pacer
        pacing_key = account_key(account.server_address, account.user_name)
        pressure = Pressure(account.calls_per_second)

        def pace() -> None:
            limit = config.pacing_max_wait_s
            try:
                pressure.last_wait_s = wait_for_slot(pacer, pacing_key, account.calls_per_second, limit)
            except CallBudgetExhausted:
                pressure.last_wait_s = limit
                raise

        timeout = timeout_s or config.carrier_timeout_s
        carrier = registry.platform(account.kind).connect(
            account,
            timeout=timeout,
            connect_timeout=min(timeout, config.carrier_connect_timeout_s),
            before_call=pace,
        )
        return carrier, pressure

    def forget(self) -> None:
        # After fork: the parent's connections and Redis client are not ours (never close them here).
        self._entries, self._making, self._pacer = {}, {}, None

    def close(self) -> None:
        with self._lock:
            found = [carrier for carrier, _ in self._entries.values()]
            self.forget()
        for carrier in found:
            carrier.close()


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.forget)


def carrier(account: CarrierAccount) -> Carrier:
    """The account's paced connection in this process."""
    return _pool.entry(account)[0]


def pressure(account: CarrierAccount) -> Pressure:
    """The pressure on the account's budget, as this process's calls have met it."""
    return _pool.entry(account)[1]


def check_connection(account: CarrierAccount, timeout_s: float) -> None:
    """Make the platform's cheapest authenticated call on a fresh connection, paced like every other
    call on the account (a Test connection pressed many times spends no more than the budget)."""
    carrier, _pressure = _pool._connect(account, timeout_s)
    try:
        carrier.check_connection()
    finally:
        carrier.close()


def _check_address(account: CarrierAccount) -> None:
    # Checked again here, resolved: the address was checked when saved, but names resolve anew.
    try:
        addresses.check(account.server_address)
        addresses.check_resolved(account.server_address)
    except addresses.AddressRefused as exc:
        raise CarrierRejected(str(exc)) from None


def close_all() -> None:
    """Close every connection of this process and start afresh."""
    _pool.close()
