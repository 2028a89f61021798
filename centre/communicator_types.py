"""Communicator types: carrier accounts (server address, user name, encrypted API key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import control_center_rest, pool, registry
from carriers.accounts import CarrierAccount, account_of
from carriers.errors import CarrierAuthFailed, CarrierError, CarrierRateLimited, CarrierUnavailable
from centre import oplog, validation
from centre.errors import Conflict, InvalidInput, NotFound
from config import secrets
from models import CommunicatorType

_T = TypeVar("_T", str, float)

DEFAULT_KIND = control_center_rest.KIND
# Kinds stored before the platforms had names of their own (migration 0008), still taken as input.
_FORMER_KINDS = {"jasper": control_center_rest.KIND}


def add(
    session: Session,
    name: str,
    server_address: str,
    user_name: str,
    api_key: str,
    operator: str,
    kind: str = DEFAULT_KIND,
    calls_per_second: float | None = None,
) -> CommunicatorType:
    """Create a communicator type; the API key is encrypted before it is stored and never logged.

    A platform that authenticates without a user name (emnify) takes an empty one; calls per second
    default to the platform's published limit where it has one, else 1."""
    kind = _FORMER_KINDS.get(kind, kind)
    if kind not in registry.PLATFORMS:
        raise InvalidInput(
            f"communicator type kind must be one of {', '.join(registry.kinds())}, not {kind!r}"
        )
    user_name = user_name.strip() or _platform_default(kind, "default_user_name", "")
    if calls_per_second is None:
        calls_per_second = _platform_default(kind, "default_calls_per_second", 1.0)
    name = validation.required_text(name, "communicator type name", 100)
    if session.scalar(select(CommunicatorType.id).where(CommunicatorType.name == name)) is not None:
        raise Conflict(f"a communicator type named {name!r} already exists")
    comm = CommunicatorType(
        name=name,
        kind=kind,
        server_address=validation.server_address(
            server_address, _platform_default(kind, "api_path", "/rws/api/v1")
        ),
        user_name=validation.required_text(user_name, "user name", 200),
        api_key_encrypted=secrets.encrypt(validation.required_text(api_key, "API key", 500)),
        calls_per_second=_rate(calls_per_second, kind),
    )
    session.add(comm)
    session.flush()
    oplog.record(
        session,
        operator,
        "communicator_type.add",
        f"{name}: {kind} at {comm.server_address} as {comm.user_name}",
        entity_id=comm.id,
    )
    return comm


MIN_CALLS_PER_SECOND = 0.01  # one call every 100 s: slower is not a carrier's limit but a typo
MAX_CALLS_PER_SECOND = 1000.0


def _rate(calls_per_second: float, kind: str) -> float:
    highest = _platform_default(kind, "max_calls_per_second", MAX_CALLS_PER_SECOND)
    if not MIN_CALLS_PER_SECOND <= calls_per_second <= highest:  # also refuses NaN
        published = " (the platform's published limit)" if highest < MAX_CALLS_PER_SECOND else ""
        raise InvalidInput(
            f"calls per second must be from {MIN_CALLS_PER_SECOND:g} to {highest:g}{published}, "
            f"not {calls_per_second:g}"
        )
    return calls_per_second


def _platform_default(kind: str, name: str, default: _T) -> _T:
    # Optional attributes of a platform (carriers/<platform>/platform.py): not every platform has a
    # user name to default or a published limit, so they are not part of the Platform protocol.
    value: _T = getattr(registry.platform(kind), name, default)
    return value


def get_by_name(session: Session, name: str) -> CommunicatorType:
    comm = session.scalar(select(CommunicatorType).where(CommunicatorType.name == name))
    if comm is None:
        raise NotFound(f"no communicator type named {name!r}")
    return comm


def update(
    session: Session,
    comm: CommunicatorType,
    operator: str,
    *,
    server_address: str | None = None,
    user_name: str | None = None,
    api_key: str | None = None,
    calls_per_second: float | None = None,
) -> CommunicatorType:
    """Change a communicator type; the API key can be replaced but is never read back.

    A stored key is bound to its address and user name: changing either needs the key again, so that
    nobody who may edit the address can have the stored key sent to a host of theirs.
    """
    changed = []
    api_path = _platform_default(comm.kind, "api_path", "/rws/api/v1")
    address = validation.server_address(server_address, api_path) if server_address is not None else None
    user = validation.required_text(user_name, "user name", 200) if user_name is not None else None
    moved = (address is not None and address != comm.server_address) or (
        user is not None and user != comm.user_name
    )
    if moved and api_key is None:
        raise InvalidInput(
            "the server address or user name changes: enter the API key again (a stored key is only "
            "ever sent to the address and user it was entered for)"
        )
    if calls_per_second is not None:
        comm.calls_per_second = _rate(calls_per_second, comm.kind)
        changed.append(f"{comm.calls_per_second} calls per second")
    if address is not None and address != comm.server_address:
        comm.server_address = address
        changed.append(f"server address {comm.server_address}")
    if user is not None and user != comm.user_name:
        comm.user_name = user
        changed.append(f"user name {comm.user_name}")
    if api_key is not None:
        comm.api_key_encrypted = secrets.encrypt(validation.required_text(api_key, "API key", 500))
        changed.append("API key replaced")
    session.flush()
    oplog.record(
        session,
        operator,
        "communicator_type.update",
        f"{comm.name}: {', '.join(changed) or 'nothing changed'}",
        entity_id=comm.id,
    )
    return comm


def list_all(session: Session) -> list[CommunicatorType]:
    """Every communicator type, by name."""
    return list(session.scalars(select(CommunicatorType).order_by(CommunicatorType.name)))


def get(session: Session, comm_id: int) -> CommunicatorType:
    comm = session.get(CommunicatorType, comm_id)
    if comm is None:
        raise NotFound(f"no communicator type {comm_id}")
    return comm


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    message: str  # what the carrier answered, fit to show staff (never the key)


def carrier_account(comm: CommunicatorType) -> CarrierAccount:
    """The decrypted settings of ``comm``, for a carrier call made outside the transaction."""
    try:
        return account_of(comm)
    except secrets.SecretUnreadable as exc:
        raise InvalidInput(f"{comm.name}: {exc}; enter the API key again") from None


def check_connection(account: CarrierAccount, timeout_s: float = 5.0) -> ConnectionTest:
    """Ask the carrier whether address and credentials work (its cheapest authenticated call, paced
    like every call on the account). The answer is a short reason of ours, never the carrier's text:
    a Test connection must not report what answers behind an address."""
    where = f"{registry.platform(account.kind).label} at {account.server_address}"
    try:
        pool.check_connection(account, timeout_s)
    except CarrierError as exc:
        return ConnectionTest(False, f"{where}: {_reason(exc)}.")
    return ConnectionTest(True, f"{where} answered and accepted the credentials.")


def _reason(exc: CarrierError) -> str:
    code = f" (error {exc.error_code})" if exc.error_code else ""
    if isinstance(exc, CarrierAuthFailed):
        return f"the credentials were refused{code}"
    if isinstance(exc, CarrierRateLimited):
        return "the account's calls-per-second budget is in use; try again in a moment"
    if isinstance(exc, CarrierUnavailable):
        if exc.http_status is None:
            return "the carrier could not be reached, or did not answer in time"
        return f"the carrier is having trouble (HTTP {exc.http_status}); try again later"
    if exc.http_status is None:
        return exc.message if exc.message.startswith("server address") else "the request was refused"
    if exc.error_code:
        return f"the carrier refused the call{code}"
    return "the address does not answer as the carrier's API: check it"


def rotate_keys(session: Session, operator: str) -> int:
    """Re-encrypt every stored API key under the newest encryption key; returns how many.

    Put the new key first in COMMISSIONER_ENCRYPTION_KEYS, run this, then drop the old key.
    """
    stored = session.scalars(select(CommunicatorType).order_by(CommunicatorType.id)).all()
    for comm in stored:
        try:
            comm.api_key_encrypted = secrets.rotate(comm.api_key_encrypted)
        except secrets.SecretUnreadable:
            raise InvalidInput(
                f"the API key of communicator type {comm.name!r} cannot be decrypted with any configured "
                "key: add the key it was stored with to COMMISSIONER_ENCRYPTION_KEYS"
            ) from None
    session.flush()
    oplog.record(session, operator, "keys.rotate", f"{len(stored)} API keys re-encrypted")
    return len(stored)
