"""Plan resolution: event type, action plan and response plan, in Patriot's order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from centre import system_settings
from models import Client, Dealer, ResponseOverride, SignalSource, Zone
from models.db import unit_of_work
from pipeline import resolution, signals
from tests import factories as f


@pytest.fixture
def db(sqlite_database: str, published: list[object]) -> Iterator[Session]:
    """A unit of work on SQLite only, for resolution logic that does not depend on the backend."""
    with unit_of_work() as s:
        yield s


def _templates(session: Session) -> tuple[Client, Client, Client]:
    """client -> T1 -> T2, nearest first."""
    t2 = f.client(session, "T2", is_template=True)
    t1 = f.client(session, "T1", is_template=True, template_code="T2")
    return f.client(session, "C1", template_code="T1"), t1, t2


# -- template chain --------------------------------------------------------------------------------


def test_template_chain_is_the_client_then_its_templates_nearest_first(db: Session) -> None:
    client, t1, t2 = _templates(db)

    assert resolution.template_chain(db, client) == [client, t1, t2]


def test_a_cycle_in_the_template_chain_is_cut_where_it_closes(db: Session) -> None:
    client, t1, t2 = _templates(db)
    t2.template_id = t1.id  # T1 -> T2 -> T1 ...
    db.flush()

    assert resolution.template_chain(db, client) == [client, t1, t2]


def test_a_template_pointing_at_itself_does_not_loop(db: Session) -> None:
    client, t1, _ = _templates(db)
    t1.template_id = t1.id
    client.template_id = t1.id
    db.flush()

    assert resolution.template_chain(db, client) == [client, t1]


def test_a_cyclic_chain_still_resolves_a_signal(db: Session) -> None:
    client, t1, t2 = _templates(db)
    t2.template_id = t1.id
    f.event_type(db, t2, 1000, None, "Burglary")
    db.flush()

    logged = signals.log_signal(db, client, 1000, source=SignalSource.API)

    assert logged.description == "Burglary"


# -- event type ------------------------------------------------------------------------------------


def test_event_type_on_the_client_beats_its_template(db: Session) -> None:
    client, t1, t2 = _templates(db)
    f.event_type(db, t2, 130, None, "on T2")
    f.event_type(db, t1, 130, None, "on T1")
    f.event_type(db, client, 130, None, "on client")
    chain = resolution.template_chain(db, client)

    found = resolution.event_type(db, chain, 130)

    assert found is not None
    assert found.description == "on client"


def test_event_type_follows_the_template_chain_to_the_nearest_definition(db: Session) -> None:
    client, t1, t2 = _templates(db)
    f.event_type(db, t2, 130, None, "on T2")
    f.event_type(db, t2, 131, None, "only on T2")
    f.event_type(db, t1, 130, None, "on T1")
    chain = resolution.template_chain(db, client)

    assert resolution.event_type(db, chain, 130).description == "on T1"  # type: ignore[union-attr]
    assert resolution.event_type(db, chain, 131).description == "only on T2"  # type: ignore[union-attr]
    assert resolution.event_type(db, chain, 132) is None


def test_event_types_of_unrelated_clients_are_not_used(db: Session) -> None:
    client, _, _ = _templates(db)
    other = f.client(db, "OTHER")
    f.event_type(db, other, 130, None, "not ours")

    assert resolution.event_type(db, [client], 130) is None


# -- action plan -----------------------------------------------------------------------------------


def test_zone_action_plan_beats_the_event_types(db: Session) -> None:
    client, t1, _ = _templates(db)
    by_type, by_zone = f.action_plan(db, "by type"), f.action_plan(db, "by zone")
    found_type = f.event_type(db, client, 130, by_type)
    db.add(Zone(client_id=t1.id, zone_no=7, action_plan_id=by_zone.id))
    db.flush()
    chain = resolution.template_chain(db, client)

    assert resolution.action_plan(db, chain, found_type, 7) == by_zone
    assert resolution.action_plan(db, chain, found_type, 8) == by_type


def test_zone_on_the_client_beats_the_zone_on_its_template(db: Session) -> None:
    client, t1, _ = _templates(db)
    on_client, on_template = f.action_plan(db, "client zone"), f.action_plan(db, "template zone")
    db.add(Zone(client_id=t1.id, zone_no=7, action_plan_id=on_template.id))
    db.add(Zone(client_id=client.id, zone_no=7, action_plan_id=on_client.id))
    db.flush()
    chain = resolution.template_chain(db, client)

    assert resolution.action_plan(db, chain, None, 7) == on_client


def test_a_zone_without_an_action_plan_falls_through_to_the_event_type(db: Session) -> None:
    client, _, _ = _templates(db)
    by_type = f.action_plan(db, "by type")
    found_type = f.event_type(db, client, 130, by_type)
    db.add(Zone(client_id=client.id, zone_no=7, action_plan_id=None))
    db.flush()

    assert resolution.action_plan(db, [client], found_type, 7) == by_type


def test_event_type_action_plan_beats_the_global_default(db: Session) -> None:
    client, _, _ = _templates(db)
    by_type = f.action_plan(db, "by type")
    f.action_plan(db, "default")
    system_settings.set_value(db, system_settings.DEFAULT_ACTION_PLAN, "default", f.OPERATOR)
    found_type = f.event_type(db, client, 130, by_type)

    assert resolution.action_plan(db, [client], found_type, 0) == by_type


def test_the_global_default_applies_without_zone_or_event_type_plan(db: Session) -> None:
    client, _, _ = _templates(db)
    default = f.action_plan(db, "default")
    system_settings.set_value(db, system_settings.DEFAULT_ACTION_PLAN, "default", f.OPERATOR)
    planless = f.event_type(db, client, 130, None)

    assert resolution.action_plan(db, [client], planless, 0) == default
    assert resolution.action_plan(db, [client], None, 0) == default


def test_no_zone_event_type_or_default_plan_means_no_action_plan(db: Session) -> None:
    client, _, _ = _templates(db)

    assert resolution.action_plan(db, [client], None, 0) is None


# -- response plan ---------------------------------------------------------------------------------


def test_response_plan_override_order_client_template_dealer_default(session: Session) -> None:
    client, t1, _ = _templates(session)
    dealer = Dealer(name="Dealer")
    session.add(dealer)
    session.flush()
    client.dealer_id = dealer.id
    task = f.task(session)
    plans = {
        level: f.response_plan(session, level, (task, {"command_type": "Activate"}))
        for level in ("client", "template", "dealer", "default")
    }
    plan = f.action_plan(session, "Alarm", plans["default"])
    overrides = {
        "client": ResponseOverride(
            action_plan_id=plan.id, client_id=client.id, response_plan_id=plans["client"].id
        ),
        "template": ResponseOverride(
            action_plan_id=plan.id, client_id=t1.id, response_plan_id=plans["template"].id
        ),
        "dealer": ResponseOverride(
            action_plan_id=plan.id, dealer_id=dealer.id, response_plan_id=plans["dealer"].id
        ),
    }
    session.add_all(overrides.values())
    session.flush()
    chain = resolution.template_chain(session, client)

    for level in ("client", "template", "dealer"):
        assert resolution.response_plan(session, chain, plan, client.dealer_id) == plans[level], level
        session.delete(overrides[level])
        session.flush()
    assert resolution.response_plan(session, chain, plan, client.dealer_id) == plans["default"]


def test_overrides_of_another_action_plan_or_dealer_do_not_apply(db: Session) -> None:
    client, _, _ = _templates(db)
    mine, theirs = Dealer(name="Mine"), Dealer(name="Theirs")
    db.add_all([mine, theirs])
    db.flush()
    client.dealer_id = mine.id
    task = f.task(db)
    default = f.response_plan(db, "default", (task, {"command_type": "Activate"}))
    other = f.response_plan(db, "other", (task, {"command_type": "Deactivate"}))
    plan, other_plan = f.action_plan(db, "Alarm", default), f.action_plan(db, "Other")
    db.add_all(
        [
            ResponseOverride(action_plan_id=other_plan.id, client_id=client.id, response_plan_id=other.id),
            ResponseOverride(action_plan_id=plan.id, dealer_id=theirs.id, response_plan_id=other.id),
        ]
    )
    db.flush()

    assert resolution.response_plan(db, [client], plan, client.dealer_id) == default


def test_an_action_plan_without_default_or_override_has_no_response_plan(db: Session) -> None:
    client, _, _ = _templates(db)
    plan = f.action_plan(db, "Alarm")

    assert resolution.response_plan(db, [client], plan, client.dealer_id) is None


# -- through the pipeline ----------------------------------------------------------------------------


def test_the_pipeline_fires_the_plan_the_zone_resolves_to(session: Session) -> None:
    client, t1, _ = _templates(session)
    f.jasper_type(session)
    f.sims(session, client, 1)
    task = f.task(session)
    activate = f.action_plan(
        session, "activate", f.response_plan(session, "A", (task, {"command_type": "Activate"}))
    )
    deactivate = f.action_plan(
        session, "deactivate", f.response_plan(session, "D", (task, {"command_type": "Deactivate"}))
    )
    f.event_type(session, t1, 300, activate)
    session.add(Zone(client_id=client.id, zone_no=5, action_plan_id=deactivate.id))
    session.flush()

    by_type = signals.log_signal(session, client, 300, source=SignalSource.API)
    by_zone = signals.log_signal(session, client, 300, zone=5, source=SignalSource.API)

    assert (by_type.action_plan_id, by_zone.action_plan_id) == (activate.id, deactivate.id)
    options = {e.signal_id: e.options for e in f.executions(session, client)}
    assert options == {
        by_type.id: {"command_type": "Activate"},
        by_zone.id: {"command_type": "Deactivate"},
    }


def test_no_action_plan_or_no_response_plan_means_no_executions(db: Session) -> None:
    client, _, _ = _templates(db)
    f.jasper_type(db)
    f.sims(db, client, 1)
    f.event_type(db, client, 400, f.action_plan(db, "no responses"))

    without_plan = signals.log_signal(db, client, 401, source=SignalSource.API)
    without_response = signals.log_signal(db, client, 400, source=SignalSource.API)

    assert without_plan.action_plan_id is None
    assert without_response.action_plan_id is not None
    assert f.executions(db) == []
