"""Templates (accounts other clients take their event types from) and the event types on them.

Event types on an ordinary client override its templates' (see pipeline/resolution.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, oplog, plans, validation
from centre.errors import Conflict, NotFound
from models import ActionPlan, Client, EventType


def templates(session: Session) -> list[Client]:
    """Every template account, by code."""
    return list(
        session.scalars(select(Client).where(Client.is_template.is_(True)).order_by(Client.client_code))
    )


def add_template(session: Session, code: str, name: str, operator: str, *, parent_code: str = "") -> Client:
    """Create a template account, optionally taking event types from ``parent_code`` in turn."""
    return clients.add(
        session, code, name, operator, is_template=True, template_code=parent_code.strip() or None
    )


def of(session: Session, owner: Client) -> list[tuple[EventType, str | None]]:
    """The event types defined on ``owner`` with their action plan names, by type number."""
    rows = session.execute(
        select(EventType, ActionPlan.name)
        .outerjoin(ActionPlan, ActionPlan.id == EventType.action_plan_id)
        .where(EventType.client_id == owner.id)
        .order_by(EventType.type_no)
    ).all()
    return [(event_type, plan_name) for event_type, plan_name in rows]


def get(session: Session, event_type_id: int) -> EventType:
    found = session.get(EventType, event_type_id)
    if found is None:
        raise NotFound(f"no event type {event_type_id}")
    return found


def _plan_id(session: Session, action_plan: str) -> int | None:
    return plans.action_plan_by_name(session, action_plan).id if action_plan.strip() else None


def add(
    session: Session, owner: Client, type_no: int, description: str, action_plan: str, operator: str
) -> EventType:
    """Define event type ``type_no`` on a client or template, with its action plan (empty: none)."""
    validation.number_in_range(type_no, "type number", 0, 65535)
    exists = session.scalar(
        select(EventType.id).where(EventType.client_id == owner.id, EventType.type_no == type_no)
    )
    if exists is not None:
        raise Conflict(f"{owner.label} already has event type {type_no}")
    event_type = EventType(
        client_id=owner.id,
        type_no=type_no,
        description=validation.required_text(description, "description", 200),
        action_plan_id=_plan_id(session, action_plan),
    )
    session.add(event_type)
    session.flush()
    oplog.record(
        session,
        operator,
        "event_type.add",
        f"{type_no} {event_type.description} -> {action_plan.strip() or 'no action plan'}",
        client_id=owner.id,
        entity_id=event_type.id,
    )
    return event_type


def update(
    session: Session, event_type: EventType, description: str, action_plan: str, operator: str
) -> EventType:
    """Change an event type's description or action plan."""
    event_type.description = validation.required_text(description, "description", 200)
    event_type.action_plan_id = _plan_id(session, action_plan)
    session.flush()
    oplog.record(
        session,
        operator,
        "event_type.update",
        f"{event_type.type_no} {event_type.description} -> {action_plan.strip() or 'no action plan'}",
        client_id=event_type.client_id,
        entity_id=event_type.id,
    )
    return event_type


def remove(session: Session, event_type: EventType, operator: str) -> None:
    """Delete an event type: its signals then resolve along the template chain."""
    session.delete(event_type)
    session.flush()
    oplog.record(
        session,
        operator,
        "event_type.remove",
        f"{event_type.type_no} {event_type.description}",
        client_id=event_type.client_id,
        entity_id=event_type.id,
    )
