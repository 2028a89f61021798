"""Communicator types: carrier accounts (server address, user name, and the platform's secrets encrypted).

Each platform names the secrets its accounts log in with (``Platform.secret_fields``: REST an API key, SOAP
a password and a licence key). They are given whole, stored in one encrypted token
(``carriers.accounts.seal_secrets``), never read back, and bound to the address and user name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import control_center_rest, pool, registry
from carriers.accounts import CarrierAccount, account_of, seal_secrets
from carriers.errors import CarrierAuthFailed, CarrierError, CarrierRateLimited, CarrierUnavailable
from carriers.platform import SecretField
from centre import oplog, validation
from centre.errors import Conflict, InvalidInput, NotFound
from config import secrets
from models import CommunicatorType

DEFAULT_KIND = control_center_rest.KIND
# Kinds stored before the platforms had names of their own (migration 0008), still taken as input.
_FORMER_KINDS = {"jasper": control_center_rest.KIND}


def add(
    session: Session,
    name: str,
    server_address: str,
    user_name: str,
    secret: str | Mapping[str, str],
    operator: str,
    kind: str = DEFAULT_KIND,
    calls_per_second: float | None = None,
) -> CommunicatorType:
    """Create a communicator type; its secrets are encrypted before they are stored and never logged.

    ``secret`` is every secret field of the platform by name (``{"password": ..., "license_key": ...}``),
    or the value alone for a platform with one (REST's API key). A platform that authenticates without a
    user name (emnify) takes an empty one; calls per second default to the platform's published limit
    where it has one, else 1.
    """
    kind = _FORMER_KINDS.get(kind, kind)
    if kind not in registry.PLATFORMS:
        raise InvalidInput(
            f"communicator type kind must be one of {', '.join(registry.kinds())}, not {kind!r}"
        )
    sealed = _sealed(kind, secret)
    platform = registry.platform(kind)
    user_name = user_name.strip() or platform.default_user_name
    if calls_per_second is None:
        calls_per_second = platform.default_calls_per_second
    name = validation.required_text(name, "communicator type name", 100)
    if session.scalar(select(CommunicatorType.id).where(CommunicatorType.name == name)) is not None:
        raise Conflict(f"a communicator type named {name!r} already exists")
    comm = CommunicatorType(
        name=name,
        kind=kind,
        server_address=validation.server_address(server_address, platform.api_path),
        user_name=validation.required_text(user_name, "user name", 200),
        api_key_encrypted=sealed,
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
    published_limit = registry.platform(kind).max_calls_per_second
    highest = MAX_CALLS_PER_SECOND if published_limit is None else published_limit
    if not MIN_CALLS_PER_SECOND <= calls_per_second <= highest:  # also refuses NaN
        published = "" if published_limit is None else " (the platform's published limit)"
        raise InvalidInput(
            f"calls per second must be from {MIN_CALLS_PER_SECOND:g} to {highest:g}{published}, "
            f"not {calls_per_second:g}"
        )
    return calls_per_second


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
    secret: str | Mapping[str, str] | None = None,
    calls_per_second: float | None = None,
) -> CommunicatorType:
    """Change a communicator type; its secrets can be replaced (all together) but are never read back.

    Stored secrets are bound to their address and user name: changing either needs them again, so that
    nobody who may edit the address can have the stored secrets sent to a host of theirs.
    """
    changed = []
    sealed = _sealed(comm.kind, secret) if secret is not None else None
    api_path = registry.platform(comm.kind).api_path
    address = validation.server_address(server_address, api_path) if server_address is not None else None
    user = validation.required_text(user_name, "user name", 200) if user_name is not None else None
    moved = (address is not None and address != comm.server_address) or (
        user is not None and user != comm.user_name
    )
    if moved and sealed is None:
        raise InvalidInput(
            f"the server address or user name changes: enter the {_secret_labels(comm.kind)} again "
            "(stored secrets are only ever sent to the address and user they were entered for)"
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
    if sealed is not None:
        comm.api_key_encrypted = sealed
        changed.append(f"{_secret_labels(comm.kind)} replaced")
    session.flush()
    oplog.record(
        session,
        operator,
        "communicator_type.update",
        f"{comm.name}: {', '.join(changed) or 'nothing changed'}",
        entity_id=comm.id,
    )
    return comm


def _sealed(kind: str, secret: str | Mapping[str, str]) -> str:
    """The platform's secrets checked (each one given, none unknown) and encrypted into one token."""
    fields = registry.platform(kind).secret_fields
    names = tuple(field.name for field in fields)
    given = {names[0]: secret} if isinstance(secret, str) and len(names) == 1 else secret
    if isinstance(given, str):
        raise InvalidInput(f"a {kind} communicator type needs its {_secret_labels(kind)}, each by name")
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InvalidInput(f"a {kind} communicator type has no secret {', '.join(unknown)}")
    values = {
        field.name: validation.required_text(given.get(field.name, ""), field.label, 500) for field in fields
    }
    return seal_secrets(names, values)


def _secret_labels(kind: str) -> str:
    """How staff call a platform's secrets: "API key", "password and licence key"."""
    labels = [field.label for field in registry.platform(kind).secret_fields]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def secret_fields(kind: str) -> tuple[SecretField, ...]:
    """The secrets a communicator type of ``kind`` logs in with (for the edges' forms and prompts)."""
    try:
        return registry.platform(_FORMER_KINDS.get(kind, kind)).secret_fields
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def every_secret_field() -> list[tuple[SecretField, list[str]]]:
    """Every platform's secret fields, each once, with the kinds that use it (for the add form)."""
    found: dict[str, tuple[SecretField, list[str]]] = {}
    # In the registry's order (Control Center first): a field several platforms share takes its
    # first platform's label ("API key"), the others name it in its help.
    for kind, platform in registry.PLATFORMS.items():
        for field in platform.secret_fields:
            found.setdefault(field.name, (field, []))[1].append(kind)
    return list(found.values())


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
        raise InvalidInput(f"{comm.name}: {exc}; enter the {_secret_labels(comm.kind)} again") from None


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
    """Re-encrypt every communicator type's stored secrets under the newest encryption key; returns how many.

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
