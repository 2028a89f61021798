"""Plan resolution: from a signal's client, type and zone to an event type, action plan and response plan.

The order follows Patriot: the event type is looked up on the client, then along its template chain;
the action plan comes from the zone/user, then the event type, then the global default; the response
plan from an override on the client, then on its templates, then on its dealer, else the action plan's
default response plan.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ActionPlan, Client, EventType, ResponseOverride, ResponsePlan, Zone
from services import settings

# A template chain deeper than this is a configuration mistake (or a cycle); stop rather than loop.
MAX_CHAIN = 16

T = TypeVar("T")


def template_chain(session: Session, client: Client) -> list[Client]:
    """The client followed by its templates, nearest first; a cycle is cut where it closes."""
    chain = [client]
    seen = {client.id}
    current = client
    while current.template_id is not None and len(chain) < MAX_CHAIN:
        if current.template_id in seen:
            break
        parent = session.get(Client, current.template_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        current = parent
    return chain


def _first_in_chain(chain: list[Client], found: dict[int, T]) -> T | None:
    for owner in chain:
        if owner.id in found:
            return found[owner.id]
    return None


def event_type(session: Session, chain: list[Client], type_no: int) -> EventType | None:
    """The event type for ``type_no`` on the nearest client or template in ``chain`` that defines it."""
    rows = session.scalars(
        select(EventType).where(EventType.type_no == type_no, EventType.client_id.in_([c.id for c in chain]))
    )
    return _first_in_chain(chain, {row.client_id: row for row in rows})


def _zone_action_plan_id(session: Session, chain: list[Client], zone_no: int) -> int | None:
    rows = session.execute(
        select(Zone.client_id, Zone.action_plan_id).where(
            Zone.zone_no == zone_no,
            Zone.client_id.in_([c.id for c in chain]),
            Zone.action_plan_id.is_not(None),
        )
    )
    return _first_in_chain(chain, {row.client_id: row.action_plan_id for row in rows})


def action_plan(
    session: Session, chain: list[Client], found_type: EventType | None, zone_no: int
) -> ActionPlan | None:
    """Zone/user action plan, else the event type's, else the global default (None: no plan)."""
    plan_id = _zone_action_plan_id(session, chain, zone_no)
    if plan_id is None and found_type is not None:
        plan_id = found_type.action_plan_id
    if plan_id is not None:
        return session.get(ActionPlan, plan_id)
    default_name = settings.get(session, settings.DEFAULT_ACTION_PLAN)
    if not default_name:
        return None
    return session.scalar(select(ActionPlan).where(ActionPlan.name == default_name))


def response_plan(session: Session, chain: list[Client], plan: ActionPlan) -> ResponsePlan | None:
    """The response plan for ``plan`` on the client at the head of ``chain``."""
    overrides = session.scalars(
        select(ResponseOverride).where(ResponseOverride.action_plan_id == plan.id)
    ).all()
    by_client = {o.client_id: o.response_plan_id for o in overrides if o.client_id is not None}
    plan_id = _first_in_chain(chain, by_client)
    dealer_id = chain[0].dealer_id
    if plan_id is None and dealer_id is not None:
        plan_id = next((o.response_plan_id for o in overrides if o.dealer_id == dealer_id), None)
    if plan_id is None:
        plan_id = plan.default_response_plan_id
    return session.get(ResponsePlan, plan_id) if plan_id is not None else None
