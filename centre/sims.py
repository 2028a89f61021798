"""The SIMs of a client: add-on devices whose Device Ref No is an ICCID, on a communicator type of a
carrier platform. An area linked to its base shares the base's SIMs; an unlinked area is on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import registry
from centre.errors import InvalidInput, NotFound
from models import AddonDevice, Client, CommunicatorType


@dataclass(frozen=True)
class Sim:
    iccid: str
    addon_device_id: int
    communicator_type_id: int
    communicator_type: str
    owner_client_id: int  # the client itself, or its base account


def sim_devices(session: Session, client: Client) -> list[tuple[AddonDevice, CommunicatorType]]:
    """The client's add-on devices on a carrier platform (and, for a linked area, its base's), its own
    first; with or without an ICCID yet."""
    linked_base = client.base_client_id if client.linked_to_base else None
    owners = [client.id] + ([linked_base] if linked_base else [])
    rows = session.execute(
        select(AddonDevice, CommunicatorType)
        .join(CommunicatorType, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(AddonDevice.client_id.in_(owners), CommunicatorType.kind.in_(registry.kinds()))
        .order_by(AddonDevice.client_id != client.id, AddonDevice.id)
    ).all()
    return [(device, comm) for device, comm in rows]


def of_client(session: Session, client: Client) -> list[Sim]:
    """The SIMs (carrier add-on devices with an ICCID) of the client and, for a linked area, its base's."""
    return [
        Sim(device.device_ref_no, device.id, comm.id, comm.name, device.client_id)
        for device, comm in sim_devices(session, client)
        if device.device_ref_no
    ]


def find(session: Session, client: Client, iccid: str | None = None) -> Sim:
    """The SIM ``iccid`` of the client, or its only SIM when ``iccid`` is None."""
    found = of_client(session, client)
    if iccid is None:
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFound(f"client {client.label} has no SIM (no Jasper add-on device with an ICCID)")
        raise InvalidInput(f"client {client.label} has {len(found)} SIMs: name the ICCID")
    for sim in found:
        if sim.iccid == iccid.strip():
            return sim
    raise NotFound(f"SIM {iccid} is not on client {client.label}")
