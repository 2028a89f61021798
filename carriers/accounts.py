"""Carrier accounts: a communicator type's address, credentials (decrypted) and calls-per-second limit.

Every process that calls a carrier reads the account here, once per configuration generation (every
execution reads its account), and hands it to ``carriers.pool`` for a paced connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from config import secrets
from models import CommunicatorType
from models.config_cache import ConfigCache


@dataclass(frozen=True)
class CarrierAccount:
    """One carrier account, its secret decrypted: never logged, never shown (see ``__repr__``)."""

    communicator_type_id: int
    kind: str  # the platform (carriers/registry.py)
    server_address: str
    user_name: str
    secret: str  # the API key (or token) the platform authenticates with
    calls_per_second: float

    def __repr__(self) -> str:  # never the secret
        return f"CarrierAccount({self.communicator_type_id}, {self.kind!r}, {self.server_address!r})"


def account_of(comm: CommunicatorType) -> CarrierAccount:
    """The account of a communicator type, its secret decrypted; raises secrets.SecretUnreadable."""
    secret = secrets.decrypt(comm.api_key_encrypted)
    return CarrierAccount(
        comm.id, comm.kind, comm.server_address, comm.user_name, secret, comm.calls_per_second
    )


@dataclass(frozen=True)
class _Unreadable:
    """A communicator type whose secret cannot be decrypted here, and why."""

    name: str
    reason: str


_accounts: ConfigCache[int, CarrierAccount | _Unreadable | None] = ConfigCache()


def load_account(session: Session, communicator_type_id: int) -> CarrierAccount | None:
    """The account of communicator type ``communicator_type_id`` (None if there is none).

    Cached for the configuration generation. Raises secrets.SecretUnreadable naming the communicator
    type when its secret cannot be decrypted here.
    """
    found = _accounts.get(session, communicator_type_id, lambda: _load(session, communicator_type_id))
    if isinstance(found, _Unreadable):
        raise secrets.SecretUnreadable(f"communicator type {found.name}: {found.reason}")
    return found


def _load(session: Session, communicator_type_id: int) -> CarrierAccount | _Unreadable | None:
    comm = session.get(CommunicatorType, communicator_type_id)
    if comm is None:
        return None
    try:
        return account_of(comm)
    except secrets.SecretUnreadable as exc:
        return _Unreadable(comm.name, str(exc))
