"""Communicator types: carrier accounts (server address, user name, encrypted API key)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CommunicatorType
from services import oplog, secrets, validation
from services.errors import Conflict, InvalidInput, NotFound
from services.task_types.jasper import KIND as JASPER

KINDS = (JASPER,)


def add(
    session: Session,
    name: str,
    server_address: str,
    user_name: str,
    api_key: str,
    operator: str,
    kind: str = JASPER,
    calls_per_second: float = 1.0,
) -> CommunicatorType:
    """Create a communicator type; the API key is encrypted before it is stored and never logged."""
    if kind not in KINDS:
        raise InvalidInput(f"communicator type kind must be one of {', '.join(KINDS)}, not {kind!r}")
    name = validation.required_text(name, "communicator type name", 100)
    if session.scalar(select(CommunicatorType.id).where(CommunicatorType.name == name)) is not None:
        raise Conflict(f"a communicator type named {name!r} already exists")
    comm = CommunicatorType(
        name=name,
        kind=kind,
        server_address=validation.server_address(server_address),
        user_name=validation.required_text(user_name, "user name", 200),
        api_key_encrypted=secrets.encrypt(validation.required_text(api_key, "API key", 500)),
        calls_per_second=_rate(calls_per_second),
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


def _rate(calls_per_second: float) -> float:
    if not 0 < calls_per_second <= 1000:
        raise InvalidInput(f"calls per second must be above 0 and at most 1000, not {calls_per_second}")
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
    api_key: str | None = None,
    calls_per_second: float | None = None,
) -> CommunicatorType:
    """Change a communicator type; the API key can be replaced but is never read back."""
    changed = []
    if calls_per_second is not None:
        comm.calls_per_second = _rate(calls_per_second)
        changed.append(f"{comm.calls_per_second} calls per second")
    if server_address is not None:
        comm.server_address = validation.server_address(server_address)
        changed.append(f"server address {comm.server_address}")
    if user_name is not None:
        comm.user_name = validation.required_text(user_name, "user name", 200)
        changed.append(f"user name {comm.user_name}")
    if api_key is not None:
        comm.api_key_encrypted = secrets.encrypt(validation.required_text(api_key, "API key", 500))
        changed.append("API key replaced")
    session.flush()
    oplog.record(
        session,
        operator,
        "communicator_type.update",
        f"{comm.name}: {', '.join(changed)}",
        entity_id=comm.id,
    )
    return comm
