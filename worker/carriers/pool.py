"""Carrier accounts and their clients: one paced HTTP client per account per process.

A communicator type names a carrier account (server address, user name, API key, calls per second).
Everything that calls a carrier (the Jasper task, the SIM console's live reads) takes its client from
here, so connections are reused and every call is paced against the account's shared budget.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from config import get_settings
from models import CommunicatorType
from services import secrets
from services.config_cache import ConfigCache
from worker.carriers.jasper import JasperClient
from worker.pacing import CallBudgetExhausted, Pacer, account_key, make_pacer, wait_for_slot


@dataclass(frozen=True)
class Account:
    communicator_type_id: int
    server_address: str
    user_name: str
    api_key: str
    calls_per_second: float

    def __repr__(self) -> str:  # never the key
        return f"Account({self.communicator_type_id}, {self.server_address!r}, {self.user_name!r})"


def account_of(comm: CommunicatorType) -> Account:
    """The account of a communicator type, its key decrypted; raises secrets.SecretUnreadable."""
    api_key = secrets.decrypt(comm.api_key_encrypted)
    return Account(comm.id, comm.server_address, comm.user_name, api_key, comm.calls_per_second)


@dataclass(frozen=True)
class Unreadable:
    """A communicator type whose key cannot be decrypted here, and why."""

    name: str
    reason: str


_accounts: ConfigCache[int, Account | Unreadable | None] = ConfigCache()


def load_account(session: Session, communicator_type_id: int) -> Account | None:
    """The account of communicator type ``communicator_type_id`` (None if there is none).

    Cached for the configuration generation: every execution reads its account. Raises
    secrets.SecretUnreadable naming the communicator type when its key cannot be decrypted here.
    """
    found = _accounts.get(session, communicator_type_id, lambda: _load(session, communicator_type_id))
    if isinstance(found, Unreadable):
        raise secrets.SecretUnreadable(f"communicator type {found.name}: {found.reason}")
    return found


def _load(session: Session, communicator_type_id: int) -> Account | Unreadable | None:
    comm = session.get(CommunicatorType, communicator_type_id)
    if comm is None:
        return None
    try:
        return account_of(comm)
    except secrets.SecretUnreadable as exc:
        return Unreadable(comm.name, str(exc))


@dataclass
class Pressure:
    """How hard an account's calls-per-second budget is pressed, as this process last saw it."""

    calls_per_second: float
    last_wait_s: float = 0.0  # how long the last call waited for its slot

    @property
    def queued(self) -> bool:
        """Whether calls queue for the budget: the last one waited for others ahead of it."""
        return self.last_wait_s > 2 / self.calls_per_second


class Clients:
    """One paced HTTP client per carrier account per process (connections are reused between tasks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[object, ...], tuple[JasperClient, Pressure]] = {}
        self._pacer: Pacer | None = None

    def get(self, account: Account) -> JasperClient:
        return self._entry(account)[0]

    def pressure(self, account: Account) -> Pressure:
        """The pressure on the account's budget, as this process's calls have met it."""
        return self._entry(account)[1]

    def _entry(self, account: Account) -> tuple[JasperClient, Pressure]:
        fingerprint = hashlib.sha256(account.api_key.encode()).hexdigest()
        key: tuple[object, ...] = (account.communicator_type_id, account.server_address, account.user_name)
        key += (fingerprint, account.calls_per_second)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(account)
            return self._clients[key]

    def _new_client(self, account: Account) -> tuple[JasperClient, Pressure]:
        settings = get_settings()
        if self._pacer is None:
            self._pacer = make_pacer(settings)
        pacer, pacing_key = self._pacer, account_key(account.server_address, account.user_name)
        pressure = Pressure(account.calls_per_second)

        def pace() -> None:
            limit = settings.pacing_max_wait_s
            try:
                pressure.last_wait_s = wait_for_slot(pacer, pacing_key, account.calls_per_second, limit)
            except CallBudgetExhausted:
                pressure.last_wait_s = limit
                raise

        client = JasperClient(
            account.server_address,
            account.user_name,
            account.api_key,
            timeout=settings.carrier_timeout_s,
            connect_timeout=settings.carrier_connect_timeout_s,
            before_call=pace,
        )
        return client, pressure

    def forget(self) -> None:
        # After fork: the parent's connections and Redis client are not ours (never close them here).
        self._clients, self._pacer = {}, None

    def close(self) -> None:
        """Close every client's connections and start afresh (a process's own clients only)."""
        with self._lock:
            found = [client for client, _ in self._clients.values()]
            self.forget()
        for client in found:
            client.close()


clients = Clients()
os.register_at_fork(after_in_child=clients.forget)
