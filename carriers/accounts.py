"""Carrier accounts: a communicator type's address, credentials (decrypted) and calls-per-second limit.

Every process that calls a carrier reads the account here, once per configuration generation (every
execution reads its account), and hands it to ``carriers.pool`` for a paced connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    secret: str  # the platform's first secret field (REST: the API key; SOAP: the password)
    calls_per_second: float
    # Every secret field of the platform by name, the first included (SOAP: password and license_key).
    secrets: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never the secret
        return f"CarrierAccount({self.communicator_type_id}, {self.kind!r}, {self.server_address!r})"


def account_of(comm: CommunicatorType) -> CarrierAccount:
    """The account of a communicator type, its secrets decrypted; raises secrets.SecretUnreadable."""
    names = _secret_names(comm.kind)
    values = open_secrets(names, comm.api_key_encrypted)
    return CarrierAccount(
        comm.id,
        comm.kind,
        comm.server_address,
        comm.user_name,
        values[names[0]],
        comm.calls_per_second,
        values,
    )


def seal_secrets(names: tuple[str, ...], values: Mapping[str, str]) -> str:
    """One Fernet token holding an account's secrets: the value alone for a platform with one secret
    field (so REST keys stored before platforms had several stay readable), else a JSON object by name."""
    if len(names) == 1:
        return secrets.encrypt(values[names[0]])
    return secrets.encrypt(json.dumps({name: values[name] for name in names}))


def open_secrets(names: tuple[str, ...], token: str) -> dict[str, str]:
    """The secrets ``seal_secrets`` stored, by field name; SecretUnreadable if they cannot be read."""
    plain = secrets.decrypt(token)
    if len(names) == 1:
        return {names[0]: plain}
    try:
        found = json.loads(plain)
    except ValueError:
        found = None
    if not isinstance(found, dict) or not all(isinstance(found.get(name), str) for name in names):
        raise secrets.SecretUnreadable("the stored secrets do not fit the communicator type's platform")
    return {name: found[name] for name in names}


def _secret_names(kind: str) -> tuple[str, ...]:
    # Imported here: the registry imports the platforms, and they import this module's CarrierAccount.
    from carriers import registry

    return tuple(secret.name for secret in registry.platform(kind).secret_fields)


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
