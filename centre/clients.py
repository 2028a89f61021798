"""Clients: create, find, commission and decommission (with their base and linked areas), devices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carriers import registry
from centre import oplog, system_settings, validation
from centre.errors import Conflict, InvalidInput, NotFound
from models import AddonDevice, Client, CommunicatorType, Dealer, Signal, SignalSource, utcnow
from pipeline import signals, system_events


@dataclass(frozen=True)
class ClientRef:
    """How staff name a client: its code, and area and port when the code has several."""

    code: str
    area: int | None = None
    port: str | None = None


def find(session: Session, ref: ClientRef) -> Client:
    """The one client ``ref`` names; NotFound or InvalidInput (ambiguous) otherwise."""
    query = select(Client).where(Client.client_code == ref.code)
    if ref.area is not None:
        query = query.where(Client.area == ref.area)
    if ref.port is not None:
        query = query.where(Client.port == ref.port)
    found = session.scalars(query.order_by(Client.area, Client.port).limit(2)).all()
    if not found:
        raise NotFound(f"no client with code {ref.code!r}" + _area_port(ref))
    if len(found) > 1:
        raise InvalidInput(f"client code {ref.code!r} has several areas or ports: give the area and port")
    return found[0]


def _area_port(ref: ClientRef) -> str:
    parts = [
        f"area {ref.area}" if ref.area is not None else "",
        f"port {ref.port}" if ref.port else "",
    ]
    text = " ".join(p for p in parts if p)
    return f" ({text})" if text else ""


def add(
    session: Session,
    code: str,
    name: str,
    operator: str,
    *,
    area: int = 1,
    port: str = "1",
    template_code: str | None = None,
    base: ClientRef | None = None,
    is_template: bool = False,
) -> Client:
    """Create a client (or template); commissions it at once when the system-wide setting says so."""
    client = Client(
        client_code=validation.client_code(code),
        name=validation.required_text(name, "client name", 200),
        area=validation.number_in_range(area, "area", 0, 9999),
        port=validation.required_text(port, "port", 8),
        is_template=is_template,
        template_id=_template_id(session, template_code),
    )
    if base is not None:
        base_client = find(session, base)
        client.base_client_id, client.linked_to_base = base_client.id, True
    try:
        with session.begin_nested():  # a duplicate rolls back this insert only, not the caller's work
            session.add(client)
            session.flush()
    except IntegrityError:
        raise Conflict(f"client {code} area {area} port {port} already exists") from None
    oplog.record(
        session,
        operator,
        "client.add",
        f"created {client.label}: {client.name}",
        client_id=client.id,
    )
    if not is_template and system_settings.get_bool(session, system_settings.DEFAULT_COMMISSION_ON_CREATE):
        commission(session, client, operator, memo="commissioned on creation (system-wide setting)")
    return client


def _template_id(session: Session, template_code: str | None) -> int | None:
    code = (
        template_code
        if template_code is not None
        else system_settings.get(session, system_settings.NEW_CLIENT_TEMPLATE)
    )
    if not code:
        return None
    template_id = session.scalar(
        select(Client.id).where(Client.client_code == code, Client.is_template.is_(True))
    )
    if template_id is None:
        raise NotFound(f"no template account with code {code!r}")
    return template_id


def family(session: Session, client: Client) -> list[Client]:
    """The clients a commission of ``client`` changes: its base first, then the base's linked areas.

    An area that is not linked to its base, and a client without areas, change alone.
    """
    if client.base_client_id is not None and not client.linked_to_base:
        return [client]
    base = session.get(Client, client.base_client_id) if client.base_client_id else client
    assert base is not None
    areas = session.scalars(
        select(Client)
        .where(Client.base_client_id == base.id, Client.linked_to_base.is_(True))
        .order_by(Client.area, Client.port, Client.id)
    ).all()
    return [base, *areas]


def commission(session: Session, client: Client, operator: str, memo: str = "") -> list[Signal]:
    """Commission ``client`` (and its base and linked areas): set the date, log 65516 on each."""
    memo = validation.memo(memo)
    writable(client)
    _no_templates(client)
    now = utcnow()
    seen: signals.SeenTargets = set()
    logged = []
    for member in family(session, client):
        member.commissioned_at, member.offline = now, False
        oplog.record(session, operator, "client.commission", memo, client_id=member.id)
        logged.append(
            _system_signal(session, member, system_events.CLIENT_COMMISSIONED, operator, memo, seen)
        )
    return logged


def decommission(
    session: Session, client: Client, operator: str, reason: str, *, offline: bool = False
) -> list[Signal]:
    """Decommission ``client`` (and its base and linked areas): date, reason, 65517 on each.

    Taking the client offline stops its responses to ordinary signals, but 65517 is a system event and
    still runs its tasks: otherwise the SIM would never be deactivated.
    """
    writable(client)
    _no_templates(client)
    reason = validation.required_text(reason, "decommission reason", 500)
    now = utcnow()
    seen: signals.SeenTargets = set()
    logged = []
    for member in family(session, client):
        member.decommissioned_at, member.decommission_reason, member.offline = now, reason, offline
        detail = f"reason: {reason}" + ("; taken offline" if offline else "")
        oplog.record(session, operator, "client.decommission", detail, client_id=member.id)
        logged.append(
            _system_signal(session, member, system_events.CLIENT_DECOMMISSIONED, operator, reason, seen)
        )
    return logged


def _no_templates(client: Client) -> None:
    if client.is_template:
        raise InvalidInput(f"{client.label} is a template account: templates are not commissioned")


def _system_signal(
    session: Session,
    client: Client,
    type_no: int,
    operator: str,
    memo: str,
    seen: signals.SeenTargets,
) -> Signal:
    return signals.log_signal(
        session, client, type_no, source=SignalSource.AUTO, operator=operator, memo=memo, seen=seen
    )


def add_device(
    session: Session, client: Client, communicator_type_name: str, device_ref_no: str, operator: str
) -> AddonDevice:
    """Add an add-on device; on a carrier platform's communicator type the Device Ref No must be a valid
    ICCID."""
    writable(client)
    comm = session.scalar(select(CommunicatorType).where(CommunicatorType.name == communicator_type_name))
    if comm is None:
        raise NotFound(f"no communicator type named {communicator_type_name!r}")
    ref = validation.iccid(device_ref_no) if comm.kind in registry.PLATFORMS else device_ref_no.strip()
    # One SIM, one client, whichever carrier account it is entered under: two clients holding it would
    # fight over its status.
    holder = session.scalar(
        select(Client)
        .join(AddonDevice, AddonDevice.client_id == Client.id)
        .join(CommunicatorType, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(CommunicatorType.kind == comm.kind, AddonDevice.device_ref_no == ref)
    )
    if holder is not None:
        raise Conflict(f"Device Ref No {ref} is already on client {holder.label}")
    device = AddonDevice(client_id=client.id, communicator_type_id=comm.id, device_ref_no=ref or None)
    session.add(device)
    session.flush()
    oplog.record(
        session,
        operator,
        "device.add",
        f"{comm.name} Device Ref No {ref}",
        client_id=client.id,
        entity_id=device.id,
    )
    return device


def devices(session: Session, client: Client) -> list[tuple[AddonDevice, CommunicatorType]]:
    """The client's add-on devices with their communicator types."""
    rows = session.execute(
        select(AddonDevice, CommunicatorType)
        .join(CommunicatorType, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(AddonDevice.client_id == client.id)
        .order_by(AddonDevice.id)
    ).all()
    return [(device, comm) for device, comm in rows]


def search(session: Session, text: str, limit: int = 50) -> list[Client]:
    """Clients (not templates) whose code or name contains ``text``."""
    pattern = f"%{text.strip()}%"
    return list(
        session.scalars(
            select(Client)
            .where(
                Client.is_template.is_(False),
                Client.retired_at.is_(None),
                or_(Client.client_code.ilike(pattern), Client.name.ilike(pattern)),
            )
            .order_by(Client.client_code, Client.area)
            .limit(limit)
        )
    )


def writable(client: Client) -> None:
    """Refuse any change to a retired client (centre/corrections.py retires and restores)."""
    if client.retired_at is not None:
        raise Conflict(f"{client.label} is retired: it is read-only (restore it to change it)")


def is_commissioned(client: Client) -> bool:
    """Whether the client's last press was a commission (its SIM should be on)."""
    if client.commissioned_at is None:
        return False
    return client.decommissioned_at is None or client.commissioned_at > client.decommissioned_at


def get(session: Session, client_id: int) -> Client:
    """The client (or template) with database id ``client_id``; NotFound otherwise."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"no client {client_id}")
    return client


def set_dealer(session: Session, client: Client, dealer_name: str, operator: str) -> Client:
    """Put ``client`` under the dealer named ``dealer_name`` (empty: no dealer)."""
    writable(client)
    dealer = None
    if dealer_name.strip():
        dealer = session.scalar(select(Dealer).where(Dealer.name == dealer_name.strip()))
        if dealer is None:
            raise NotFound(f"no dealer named {dealer_name.strip()[:100]!r}")
    client.dealer_id = dealer.id if dealer else None
    session.flush()
    detail = f"dealer {dealer.name}" if dealer else "no dealer"
    oplog.record(session, operator, "client.dealer", detail, client_id=client.id)
    return client
