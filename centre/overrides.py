"""Response overrides: another response plan for an action plan on one client, template or dealer.

Also the dealers themselves, since dealer-level overrides are what they are for here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from centre import clients, oplog, plans, validation
from centre.clients import ClientRef
from centre.errors import Conflict, InvalidInput, NotFound
from models import ActionPlan, Client, Dealer, ResponseOverride, ResponsePlan


@dataclass(frozen=True)
class OverrideRow:
    id: int
    action_plan: str
    response_plan: str
    level: str  # "client", "template" or "dealer"
    scope: str  # the client's label or the dealer's name


def list_all(session: Session) -> list[OverrideRow]:
    """Every response override, by action plan."""
    owner = aliased(Client)
    rows = session.execute(
        select(ResponseOverride.id, ActionPlan.name, ResponsePlan.name, owner, Dealer.name)
        .join(ActionPlan, ActionPlan.id == ResponseOverride.action_plan_id)
        .join(ResponsePlan, ResponsePlan.id == ResponseOverride.response_plan_id)
        .outerjoin(owner, owner.id == ResponseOverride.client_id)
        .outerjoin(Dealer, Dealer.id == ResponseOverride.dealer_id)
        .order_by(ActionPlan.name, ResponseOverride.id)
    ).all()
    return [
        OverrideRow(
            id=override_id,
            action_plan=action_plan,
            response_plan=response_plan,
            level=("template" if client.is_template else "client") if client else "dealer",
            scope=client.label if client else str(dealer),
        )
        for override_id, action_plan, response_plan, client, dealer in rows
    ]


def add(
    session: Session,
    action_plan: str,
    response_plan: str,
    operator: str,
    *,
    client_code: str = "",
    dealer: str = "",
) -> ResponseOverride:
    """Override ``action_plan``'s response plan on one client or template (by code) or one dealer."""
    if bool(client_code.strip()) == bool(dealer.strip()):
        raise InvalidInput("give either a client or template code, or a dealer (not both)")
    plan = plans.action_plan_by_name(session, action_plan)
    response = plans.response_plan_by_name(session, response_plan)
    owner = clients.find(session, ClientRef(client_code.strip())) if client_code.strip() else None
    found_dealer = dealer_by_name(session, dealer) if dealer.strip() else None
    scope = owner.label if owner else found_dealer.name if found_dealer else ""
    duplicate = select(ResponseOverride.id).where(ResponseOverride.action_plan_id == plan.id)
    if owner:
        duplicate = duplicate.where(ResponseOverride.client_id == owner.id)
    elif found_dealer:
        duplicate = duplicate.where(ResponseOverride.dealer_id == found_dealer.id)
    if session.scalar(duplicate) is not None:
        raise Conflict(f"{scope} already overrides action plan {plan.name}")
    override = ResponseOverride(
        action_plan_id=plan.id,
        response_plan_id=response.id,
        client_id=owner.id if owner else None,
        dealer_id=found_dealer.id if found_dealer else None,
    )
    session.add(override)
    session.flush()
    oplog.record(
        session,
        operator,
        "response_override.add",
        f"{plan.name} -> {response.name} on {scope}",
        client_id=owner.id if owner else None,
        entity_id=override.id,
    )
    return override


def remove(session: Session, override_id: int, operator: str) -> None:
    """Delete a response override: the next level (template, dealer, default) applies again."""
    override = session.get(ResponseOverride, override_id)
    if override is None:
        raise NotFound(f"no response override {override_id}")
    session.delete(override)
    session.flush()
    oplog.record(
        session, operator, "response_override.remove", f"override {override_id}", client_id=override.client_id
    )


def dealers(session: Session) -> list[Dealer]:
    """Every dealer, by name."""
    return list(session.scalars(select(Dealer).order_by(Dealer.name)))


def dealer_by_name(session: Session, name: str) -> Dealer:
    found = session.scalar(select(Dealer).where(Dealer.name == name.strip()))
    if found is None:
        raise NotFound(f"no dealer named {name.strip()[:100]!r}")
    return found


def add_dealer(session: Session, name: str, operator: str) -> Dealer:
    """Create a dealer (installer company) that clients can belong to."""
    name = validation.required_text(name, "dealer name", 100)
    if session.scalar(select(Dealer.id).where(Dealer.name == name)) is not None:
        raise Conflict(f"a dealer named {name!r} already exists")
    dealer = Dealer(name=name)
    session.add(dealer)
    session.flush()
    oplog.record(session, operator, "dealer.add", name, entity_id=dealer.id)
    return dealer
