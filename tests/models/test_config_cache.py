"""The configuration cache: signals resolve from memory, and see every committed configuration change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from centre import clients, event_types
from models import Client, ConfigGeneration, SignalSource, Task, TaskExecution, Zone
from models.db import get_engine, unit_of_work
from pipeline import signals
from pipeline.outbox import Message
from tests import factories as f

ALARM = 130


@pytest.fixture
def setup(database: str, published: list[Message]) -> int:
    """Client C1 with one SIM, whose template's ALARM fires task 1 (Activate); committed. Its id."""
    with unit_of_work() as session:
        f.jasper_type(session)
        template = event_types.add_template(session, "T1", "Template", f.OPERATOR)
        client = clients.add(session, "C1", "Client", f.OPERATOR, template_code="T1")
        f.sims(session, client, 1)
        response = f.response_plan(session, "Alarm", (f.task(session, 1), {"Command Type": "Activate"}))
        f.event_type(session, template, ALARM, f.action_plan(session, "Alarm", response), "Burglary")
        return client.id  # committed on the way out


def _alarm(client_id: int) -> int:
    """Log ALARM on the client in a unit of work of its own; how many executions it created."""
    with unit_of_work() as session:
        client = session.get(Client, client_id)
        assert client is not None
        logged = signals.log_signal(session, client, ALARM, source=SignalSource.API)
        return _executions_of(session, logged.id)


def _executions_of(session: Session, signal_id: int) -> int:
    found = session.scalar(select(func.count()).where(TaskExecution.signal_id == signal_id))
    return found or 0


def _generation() -> int:
    with unit_of_work() as session:
        value: int | None = session.scalar(select(ConfigGeneration.value))
        assert value is not None
        return value


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        self.statements.append(statement)


@pytest.fixture
def sql() -> Iterator[StatementCounter]:
    counter = StatementCounter()
    engine = get_engine()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def test_a_repeated_signal_reads_no_configuration(setup: int, sql: StatementCounter) -> None:
    assert _alarm(setup) == 1
    sql.statements.clear()

    assert _alarm(setup) == 1

    read = [s.lower() for s in sql.statements if s.lstrip().upper().startswith("SELECT")]
    for config_table in ("action_plan", "response_plan", "response_plan_entry", "task_assignment", "task"):
        assert not [s for s in read if f"from {config_table} " in s + " "], config_table
    # The generation only: what the client defines itself is cached under it too.
    assert len([s for s in read if "config_generation" in s]) == 1
    assert not [s for s in read if "from event_type" in s or "from zone" in s]


def _alarm_on(client_id: int, zone: int) -> int:
    with unit_of_work() as session:
        client = session.get_one(Client, client_id)
        logged = signals.log_signal(session, client, ALARM, zone=zone, source=SignalSource.API)
        return _executions_of(session, logged.id)


def test_zones_resolve_alike_unless_a_template_gives_them_a_plan(setup: int, sql: StatementCounter) -> None:
    with unit_of_work() as session:
        template = clients.find(session, clients.ClientRef("T1"))
        silent = f.action_plan(session, "Zone 5: no response")
        session.add(Zone(client_id=template.id, zone_no=5, action_plan_id=silent.id))

    assert [_alarm_on(setup, zone) for zone in (1, 5)] == [1, 0]
    sql.statements.clear()
    assert [_alarm_on(setup, zone) for zone in (2, 3, 5, 900)] == [1, 1, 0, 1]

    read = [s.lower() for s in sql.statements if s.lstrip().upper().startswith("SELECT")]
    configuration = ("zone", "event_type", "action_plan", "response_plan", "response_override", "task")
    assert not [s for s in read if any(f"from {table} " in s + " " for table in configuration)]
    assert len([s for s in read if "config_generation" in s]) == 4  # once a signal: no zone afresh


def test_what_a_client_defines_itself_after_its_signals_were_cached_applies_to_the_next(
    setup: int,
) -> None:
    assert _alarm(setup) == 1  # resolved through the template, and cached
    with unit_of_work() as session:
        client = session.get(Client, setup)
        assert client is not None
        f.event_type(session, client, ALARM, None, "The client's own, with no plan")

    assert _alarm(setup) == 0


def test_a_committed_change_is_seen_by_the_next_signal(setup: int) -> None:
    assert _alarm(setup) == 1
    with unit_of_work() as session:
        task = session.scalar(select(Task).where(Task.task_no == 1))
        assert task is not None
        task.enabled = False

    assert _alarm(setup) == 0


def test_a_change_rolled_back_leaves_nothing_behind_in_the_cache(setup: int) -> None:
    assert _alarm(setup) == 1
    seen_inside: list[int] = []

    def failing_save() -> None:
        with unit_of_work() as session:
            task = session.scalar(select(Task).where(Task.task_no == 1))
            assert task is not None
            task.enabled = False
            client = session.get(Client, setup)
            assert client is not None
            logged = signals.log_signal(session, client, ALARM, source=SignalSource.API)
            seen_inside.append(_executions_of(session, logged.id))
            raise RuntimeError("the admin's save fails")

    with pytest.raises(RuntimeError):
        failing_save()

    assert seen_inside == [0]  # inside the changing transaction the change applies (not cached)...

    # ...and once it is rolled back, neither the change nor a cache entry made under it remain.
    assert _alarm(setup) == 1


def test_only_configuration_changes_give_a_new_generation(setup: int) -> None:
    before = _generation()
    _alarm(setup)  # signals, executions and the client's dates are not configuration
    assert _generation() == before

    with unit_of_work() as session:
        template = f.client(session, "T2", is_template=True)
        client = session.get(Client, setup)
        assert client is not None
        client.template_id = template.id  # a client's place in a template chain is
    assert _generation() != before


def test_a_template_put_under_another_template_is_resolved_afresh(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        f.jasper_type(session)
        response = f.response_plan(session, "Alarm", (f.task(session, 1), {"Command Type": "Activate"}))
        top = event_types.add_template(session, "T2", "Top template", f.OPERATOR)
        f.event_type(session, top, ALARM, f.action_plan(session, "Alarm", response), "Burglary")
        event_types.add_template(session, "T1", "Middle template", f.OPERATOR)
        client = clients.add(session, "C1", "Client", f.OPERATOR, template_code="T1")
        f.sims(session, client, 1)
        client_id = client.id
    assert _alarm(client_id) == 0  # T1 defines no ALARM, and has no template of its own yet

    with unit_of_work() as session:
        middle = clients.find(session, clients.ClientRef("T1"))
        middle.template_id = clients.find(session, clients.ClientRef("T2")).id

    assert _alarm(client_id) == 1


def test_clients_sharing_a_template_each_get_their_own_configuration(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        f.jasper_type(session)
        task = f.task(session, 1)
        activate = f.response_plan(session, "Activate", (task, {"Command Type": "Activate"}))
        deactivate = f.response_plan(session, "Deactivate", (task, {"Command Type": "Deactivate"}))
        template = event_types.add_template(session, "T1", "Template", f.OPERATOR)
        f.event_type(session, template, ALARM, f.action_plan(session, "From template", activate))
        plain, own_type, own_zone = (
            clients.add(session, code, "Client", f.OPERATOR, template_code="T1")
            for code in ("C1", "C2", "C3")
        )
        for number, client in enumerate((plain, own_type, own_zone), start=1):
            f.sims(session, client, number)
        f.event_type(session, own_type, ALARM, f.action_plan(session, "Own type", deactivate))
        session.add(
            Zone(client_id=own_zone.id, zone_no=0, action_plan_id=f.action_plan(session, "Zone", None).id)
        )
        ids = {"plain": plain.id, "own type": own_type.id, "own zone": own_zone.id}

    def command(client_id: int) -> str | None:
        with unit_of_work() as session:
            client = session.get(Client, client_id)
            assert client is not None
            logged = signals.log_signal(session, client, ALARM, source=SignalSource.API)
            found = session.scalar(select(TaskExecution).where(TaskExecution.signal_id == logged.id))
            return found.options["command_type"] if found else None

    for _ in range(2):  # the second round answers from the cache where it may
        assert command(ids["plain"]) == "Activate"
        assert command(ids["own type"]) == "Deactivate"
        assert command(ids["own zone"]) is None  # its zone's plan has no response plan
