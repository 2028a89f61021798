"""Plan resolution: from a signal's client, type and zone to an event type, action plan and response plan.

The order follows Patriot: the event type is looked up on the client, then along its template chain;
the action plan comes from the zone/user, then the event type, then the global default; the response
plan from an override on the client, then on its templates, then on its dealer, else the action plan's
default response plan.

``resolve`` is what the pipeline calls: the whole answer as plain data. What comes from templates and
plans is cached per process for the configuration generation (models/config_cache.py), and so is what
each client defines itself (its own event types, zone action plans, response overrides: configuration
too, so a change to them gives a new generation), and which zones the templates give an action plan:
other zones share one resolution per type. A signal then costs no configuration query beyond the
generation, read once per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import literal, select, union_all
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


@dataclass(frozen=True)
class OwnConfiguration:
    """What a client defines itself that resolution reads: most clients define nothing."""

    type_nos: frozenset[int]  # its own event types
    zone_nos: frozenset[int]  # its zones/users with an action plan
    has_override: bool  # a response override of its own

    def covers(self, type_no: int, zone_no: int) -> bool:
        """Whether a signal of ``type_no`` on ``zone_no`` resolves differently on this client than on
        its templates alone."""
        return self.has_override or type_no in self.type_nos or zone_no in self.zone_nos


# Keyed by what the answer depends on when the client has no configuration of its own (the usual
# case): its template, dealer, the type, and the zone only if its templates give that zone an action
# plan (else None: every other zone resolves alike). Thousands of clients share a few entries.
_resolutions: ConfigCache[tuple[int | None, int | None, int, int | None], Resolution] = ConfigCache()
_tasks: ConfigCache[int, TaskRef | None] = ConfigCache()
_own: ConfigCache[int, OwnConfiguration] = ConfigCache()
_planned_zones: ConfigCache[int, frozenset[int]] = ConfigCache()


def resolve(session: Session, client: Client, type_no: int, zone_no: int) -> Resolution:
    """Event type, action plan, response plan and task assignments for a signal on ``client``."""
    if own_configuration(session, client.id).covers(type_no, zone_no):
        return _resolve(session, template_chain(session, client), client.dealer_id, type_no, zone_no)
    planned = client.template_id is not None and zone_no in planned_zones(session, client.template_id)
    key = (client.template_id, client.dealer_id, type_no, zone_no if planned else None)
    return _resolutions.get(
        session,
        key,
        lambda: _resolve(session, template_chain(session, client)[1:], client.dealer_id, type_no, zone_no),
    )


def planned_zones(session: Session, template_id: int) -> frozenset[int]:
    """The zone/user numbers given an action plan by template ``template_id`` or the templates above it."""
    return _planned_zones.get(session, template_id, lambda: _load_planned_zones(session, template_id))


def _load_planned_zones(session: Session, template_id: int) -> frozenset[int]:
    template = session.get(Client, template_id)
    if template is None:
        return frozenset()
    chain = [c.id for c in template_chain(session, template)]
    return frozenset(
        session.scalars(
            select(Zone.zone_no).where(Zone.client_id.in_(chain), Zone.action_plan_id.is_not(None))
        )
    )


def own_configuration(session: Session, client_id: int) -> OwnConfiguration:
    """The event types, zone action plans and response overrides ``client_id`` defines itself."""
    return _own.get(session, client_id, lambda: _load_own_configuration(session, client_id))


_TYPE, _ZONE, _OVERRIDE = 1, 2, 3


def _load_own_configuration(session: Session, client_id: int) -> OwnConfiguration:
    rows = session.execute(
        union_all(
            select(literal(_TYPE), EventType.type_no).where(EventType.client_id == client_id),
            select(literal(_ZONE), Zone.zone_no).where(
                Zone.client_id == client_id, Zone.action_plan_id.is_not(None)
            ),
            select(literal(_OVERRIDE), literal(0)).where(ResponseOverride.client_id == client_id),
        )
    ).all()
    return OwnConfiguration(
        type_nos=frozenset(number for kind, number in rows if kind == _TYPE),
        zone_nos=frozenset(number for kind, number in rows if kind == _ZONE),
        has_override=any(kind == _OVERRIDE for kind, _ in rows),
    )


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
