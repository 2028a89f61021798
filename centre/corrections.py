"""Corrections to what was entered: rename or retire a client, edit or remove an add-on device, remove a
communicator type no device uses. Admins' work; each is logged in the operator log and, for a client,
in its history (65532, with who), and none loses history: executions and signals keep what they were
about, and a retired client is kept, hidden and read-only.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carriers import registry
from centre import clients, oplog, validation
from centre.errors import Conflict, InvalidInput, NotFound
from models import (
    ACTIVE_STATUSES,
    AddonDevice,
    Client,
    CommunicatorType,
    SignalSource,
    TaskExecution,
    utcnow,
)
from pipeline import signals, system_events


def _logged(session: Session, client: Client, operator: str, action: str, detail: str) -> None:
    oplog.record(session, operator, action, detail, client_id=client.id)
    signals.log_signal(
        session,
        client,
        system_events.RECORD_CORRECTED,
        source=SignalSource.MANUAL,
        operator=operator,
        memo=validation.clipped(detail),
    )


def rename(session: Session, client: Client, name: str, operator: str) -> Client:
    """Give ``client`` another name (its code, area and port stay: other systems know it by them)."""
    clients.writable(client)
    new = validation.required_text(name, "client name", 200)
    if new == client.name:
        raise InvalidInput(f"{client.label} is already named {new!r}")
    old, client.name = client.name, new
    session.flush()
    _logged(session, client, operator, "client.rename", f"renamed from {old!r} to {new!r}")
    return client


def retire(session: Session, client: Client, operator: str) -> Client:
    """Retire a client that is not commissioned: kept with its history, hidden from searches and
    lists, and read-only. A commissioned client is decommissioned first (its SIM switched off)."""
    clients.writable(client)
    if client.is_template:
        raise InvalidInput(f"{client.label} is a template: templates are not retired")
    if client.commissioned_at and (
        client.decommissioned_at is None or client.commissioned_at > client.decommissioned_at
    ):
        raise Conflict(
            f"{client.label} is commissioned: decommission it first, so that its SIM is switched off"
        )
    client.retired_at = utcnow()
    session.flush()
    _logged(session, client, operator, "client.retire", "retired: kept, hidden and read-only")
    return client


def restore(session: Session, client: Client, operator: str) -> Client:
    """Bring a retired client back into the lists, writable again."""
    if client.retired_at is None:
        raise InvalidInput(f"{client.label} is not retired")
    client.retired_at = None
    session.flush()
    _logged(session, client, operator, "client.restore", "restored from retirement")
    return client


def device(session: Session, client: Client, device_id: int) -> tuple[AddonDevice, CommunicatorType]:
    """The client's add-on device ``device_id`` and its communicator type; NotFound if not the client's."""
    found = session.execute(
        select(AddonDevice, CommunicatorType)
        .join(CommunicatorType, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(AddonDevice.id == device_id, AddonDevice.client_id == client.id)
    ).first()
    if found is None:
        raise NotFound(f"client {client.label} has no add-on device {device_id}")
    return found[0], found[1]


def edit_device(
    session: Session, client: Client, device_id: int, operator: str, *, device_ref_no: str
) -> tuple[AddonDevice, str | None]:
    """Change a device's Device Ref No (the SIM's ICCID); returns the device and its former number.

    Refused while a change on its SIM is in flight. Switching the new SIM on and the old one off, for a
    commissioned client, is the SIM swap's work: the caller offers it.
    """
    clients.writable(client)
    found, comm = device(session, client, device_id)
    new = validation.iccid(device_ref_no) if comm.kind in registry.PLATFORMS else device_ref_no.strip()
    old = found.device_ref_no
    if new == old:
        raise InvalidInput(f"the device's Device Ref No is already {new}")
    _not_in_flight(session, old)
    holder = session.scalar(
        select(Client)
        .join(AddonDevice, AddonDevice.client_id == Client.id)
        .join(CommunicatorType, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(CommunicatorType.kind == comm.kind, AddonDevice.device_ref_no == new)
    )
    if holder is not None:
        raise Conflict(f"Device Ref No {new} is already on client {holder.label}")
    found.device_ref_no = new
    session.flush()
    _logged(
        session,
        client,
        operator,
        "device.edit",
        f"{comm.name} Device Ref No {old or '(none)'} changed to {new}",
    )
    return found, old


def remove_device(session: Session, client: Client, device_id: int, operator: str) -> None:
    """Remove an add-on device; its SIM's history stays. Refused while a change on its SIM is in flight."""
    clients.writable(client)
    found, comm = device(session, client, device_id)
    _not_in_flight(session, found.device_ref_no)
    session.delete(found)
    session.flush()
    _logged(
        session,
        client,
        operator,
        "device.remove",
        f"{comm.name} Device Ref No {found.device_ref_no or '(none)'} removed",
    )


def _not_in_flight(session: Session, iccid: str | None) -> None:
    if not iccid:
        return
    busy = session.scalar(
        select(TaskExecution.id)
        .where(TaskExecution.target_key == f"sim:{iccid}", TaskExecution.status.in_(ACTIVE_STATUSES))
        .limit(1)
    )
    if busy is not None:
        raise Conflict(f"a change on SIM {iccid} is in flight (execution {busy}): wait for its outcome")


def remove_communicator_type(session: Session, comm: CommunicatorType, operator: str) -> None:
    """Remove a communicator type that no add-on device uses (its stored key goes with it)."""
    used = session.scalar(
        select(func.count()).select_from(AddonDevice).where(AddonDevice.communicator_type_id == comm.id)
    )
    if used:
        devices = f"{used} add-on device{'s' if used != 1 else ''}"
        raise Conflict(f"{devices} use communicator type {comm.name!r}: move or remove them first")
    session.delete(comm)
    session.flush()
    oplog.record(session, operator, "communicator_type.remove", comm.name, entity_id=comm.id)


def find_active(session: Session, ref: clients.ClientRef) -> Client:
    """The client ``ref`` names, if it is not retired (a retired one reads as not found)."""
    client = clients.find(session, ref)
    if client.retired_at is not None:
        raise NotFound(f"client {client.label} is retired")
    return client
