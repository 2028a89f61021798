"""Plan resolution: from a signal's client, type and zone to an event type, action plan and response plan.

The order follows Patriot: the event type is looked up on the client, then along its template chain;
the action plan comes from the zone/user, then the event type, then the global default; the response
plan from an override on the client, then on its templates, then on its dealer, else the action plan's
default response plan.

``resolve`` is what the pipeline calls: the whole answer as plain data. What comes from templates and
plans is cached per process for the configuration generation (models/config_cache.py); what the
client defines itself is checked with one query, so a signal costs one configuration query, not ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import exists, select, union_all
from sqlalchemy.orm import Session

from centre import system_settings
from models import ActionPlan, Client, EventType, ResponseOverride, ResponsePlan, Task, Zone
from models.config_cache import ConfigCache

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
    default_name = system_settings.get(session, system_settings.DEFAULT_ACTION_PLAN)
    if not default_name:
        return None
    return session.scalar(select(ActionPlan).where(ActionPlan.name == default_name))


def response_plan(
    session: Session, chain: list[Client], plan: ActionPlan, dealer_id: int | None
) -> ResponsePlan | None:
    """The response plan for ``plan`` on a client with template ``chain`` and dealer ``dealer_id``."""
    overrides = session.scalars(
        select(ResponseOverride).where(ResponseOverride.action_plan_id == plan.id)
    ).all()
    by_client = {o.client_id: o.response_plan_id for o in overrides if o.client_id is not None}
    plan_id = _first_in_chain(chain, by_client)
    if plan_id is None and dealer_id is not None:
        plan_id = next((o.response_plan_id for o in overrides if o.dealer_id == dealer_id), None)
    if plan_id is None:
        plan_id = plan.default_response_plan_id
    return session.get(ResponsePlan, plan_id) if plan_id is not None else None


@dataclass(frozen=True)
class TaskRef:
    """A configured task, as executions need it."""

    id: int
    task_no: int
    type: str
    system_account_id: int | None
    enabled: bool


@dataclass(frozen=True)
class Assignment:
    """A task assignment of a user in the response plan; ``options`` are read-only."""

    user_id: int
    task: TaskRef
    options: dict[str, Any]


@dataclass(frozen=True)
class Resolution:
    """What a signal of one type and zone on one client resolves to."""

    event_description: str | None
    action_plan_id: int | None
    action_plan_name: str | None
    response_plan_name: str | None
    assignments: tuple[Assignment, ...]


# Keyed by what the answer depends on when the client has no configuration of its own (the usual
# case): its template, dealer, the type and zone. Thousands of clients share a few entries.
_resolutions: ConfigCache[tuple[int | None, int | None, int, int], Resolution] = ConfigCache()
_tasks: ConfigCache[int, TaskRef | None] = ConfigCache()


def resolve(session: Session, client: Client, type_no: int, zone_no: int) -> Resolution:
    """Event type, action plan, response plan and task assignments for a signal on ``client``."""
    if _has_own_configuration(session, client.id, type_no, zone_no):
        return _resolve(session, template_chain(session, client), client.dealer_id, type_no, zone_no)
    key = (client.template_id, client.dealer_id, type_no, zone_no)
    return _resolutions.get(
        session,
        key,
        lambda: _resolve(session, template_chain(session, client)[1:], client.dealer_id, type_no, zone_no),
    )


def _has_own_configuration(session: Session, client_id: int, type_no: int, zone_no: int) -> bool:
    """Whether the client itself defines the type, an action plan on the zone, or a response override."""
    own = union_all(
        select(EventType.id).where(EventType.client_id == client_id, EventType.type_no == type_no),
        select(Zone.id).where(
            Zone.client_id == client_id, Zone.zone_no == zone_no, Zone.action_plan_id.is_not(None)
        ),
        select(ResponseOverride.id).where(ResponseOverride.client_id == client_id),
    )
    return session.scalar(select(exists(own))) or False


def _resolve(
    session: Session, chain: list[Client], dealer_id: int | None, type_no: int, zone_no: int
) -> Resolution:
    found_type = event_type(session, chain, type_no)
    description = found_type.description if found_type else None
    plan = action_plan(session, chain, found_type, zone_no)
    if plan is None:
        return Resolution(description, None, None, None, ())
    response = response_plan(session, chain, plan, dealer_id)
    if response is None:
        return Resolution(description, plan.id, plan.name, None, ())
    assignments = tuple(
        Assignment(entry.user_id, found, dict(assignment.options))
        for entry in response.entries
        for assignment in entry.assignments
        if (found := task(session, assignment.task_id)) is not None
    )
    return Resolution(description, plan.id, plan.name, response.name, assignments)


def task(session: Session, task_id: int) -> TaskRef | None:
    """The task with id ``task_id`` (None if there is none)."""
    return _tasks.get(session, task_id, lambda: _load_task(session, task_id))


def _load_task(session: Session, task_id: int) -> TaskRef | None:
    row = session.get(Task, task_id)
    if row is None:
        return None
    return TaskRef(row.id, row.task_no, row.type, row.system_account_id, row.enabled)
