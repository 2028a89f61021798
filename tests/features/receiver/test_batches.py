"""Group commit: a batch of panel events is stored with a few statements, and each event fares exactly
as it would alone (stored once, plans fired, a bad one never holding back the others)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from centre import clients, event_types
from features.receiver import accounts, mapping, store
from features.receiver.store import PanelEvent
from models import Client, ReceiverAccount, ReceiverMessage, Signal, SignalSource
from models.db import get_engine, unit_of_work
from pipeline.outbox import Message
from tests import factories as f

BURGLARY = 130  # what the seeded map makes of SIA BA and Contact ID 1130
PANELS = ("P1", "P2", "P3")


@pytest.fixture
def panels(database: str, published: list[Message]) -> dict[str, int]:
    """Three clients with a SIM each, under a template whose burglary alarm fires task 7 (Activate),
    and a receiver account each; P3 is offline. Their receiver account ids by client code."""
    with unit_of_work() as session:
        mapping.ensure_defaults(session)
        f.jasper_type(session)
        template = event_types.add_template(session, "T1", "Template", f.OPERATOR)
        response = f.response_plan(session, "Alarm", (f.task(session, 7), {"Command Type": "Activate"}))
        f.event_type(session, template, BURGLARY, f.action_plan(session, "Alarm", response), "Burglary")
        ids = {}
        for number, code in enumerate(PANELS, start=1):
            client = clients.add(session, code, f"Panel {code}", f.OPERATOR, template_code="T1")
            f.sims(session, client, number)
            ids[code] = accounts.set_account(session, client, f"A{number:02d}", f.OPERATOR).id
        session.get_one(Client, session.get_one(ReceiverAccount, ids["P3"]).client_id).offline = True
    return ids


def _event(account_id: int, sequence: str, code: str = "BA", zone: int = 4) -> PanelEvent:
    return PanelEvent(account_id, mapping.SIA, code, zone, "", sequence, "2026-12-03T19:00:00")


def _logged(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef(code))
        return [s for s in f.signals(session, client) if s.source == SignalSource.RECEIVER]


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        self.seen.append(statement.lstrip().split()[0].upper())


@pytest.fixture
def statements() -> Iterator[Statements]:
    counter = Statements()
    event.listen(get_engine(), "before_cursor_execute", counter)
    yield counter
    event.remove(get_engine(), "before_cursor_execute", counter)


def test_a_batch_fires_each_events_plan_as_alone_and_logs_a_repeat_once(
    panels: dict[str, int], published: list[Message]
) -> None:
    batch = [
        _event(panels["P1"], "0001"),
        _event(panels["P2"], "0001", zone=9),
        _event(panels["P1"], "0001"),  # P1's message again, in the same batch
        _event(panels["P3"], "0001"),  # offline: logged, fires nothing
    ]
    assert store.record_many(batch) == [store.STORED, store.STORED, store.REPEAT, store.STORED]
    assert store.record_many([_event(panels["P2"], "0001", zone=9)]) == [store.REPEAT]  # a later batch

    [p1], [p2], [p3] = (_logged(code) for code in PANELS)
    assert (p1.type_no, p1.zone, p2.zone, p1.action_plan_id is not None) == (BURGLARY, 4, 9, True)
    assert p3.memo.endswith("(client offline: no response)")
    with unit_of_work() as session:
        fired = {(e.signal_id, e.target_key) for e in f.executions(session)}
        keys = {m.dedup_key.split("|")[0]: m.signal_id for m in session.scalars(select(ReceiverMessage))}
    assert fired == {(p1.id, f"sim:{f.iccid(1)}"), (p2.id, f"sim:{f.iccid(2)}")}
    assert len(published) == 2  # after the commit, one doorbell per execution
    assert set(keys) == {"0001"}
    assert None not in keys.values()


def test_a_batch_costs_the_same_statements_whatever_its_size(
    database: str, panels: dict[str, int], statements: Statements
) -> None:
    def test_reports(sequence: str, *codes: str) -> list[str]:
        statements.seen.clear()
        assert store.record_many([_event(panels[c], sequence, code="RP") for c in codes]) == [
            store.STORED
        ] * len(codes)
        return list(statements.seen)

    test_reports("0100", *PANELS)  # reads the map and each client's resolution once, then cached
    one = test_reports("0101", "P1")
    assert one.count("INSERT") == 2  # the message's key, the signal
    many = test_reports("0102", *PANELS)
    if database.startswith("postgresql"):
        assert many == one  # timers included: per batch, not per event
    else:  # SQLAlchemy inserts ORM rows one by one on SQLite (it cannot match RETURNING rows to them)
        assert [s for s in many if s != "INSERT"] == [s for s in one if s != "INSERT"]
        assert many.count("INSERT") == 1 + len(PANELS)


def test_an_event_that_cannot_be_stored_leaves_the_rest_of_its_batch_stored(
    panels: dict[str, int],
) -> None:
    bad = _event(panels["P2"], "0200", code="ZZ", zone=70_000)  # unmapped: its own zone, out of range
    batch = [_event(panels["P1"], "0200"), bad, _event(panels["P3"], "0200")]

    assert store.record_many(batch) == [store.STORED, store.FAILED, store.STORED]

    assert [len(_logged(code)) for code in PANELS] == [1, 0, 1]
    with unit_of_work() as session:  # the failed one left no key behind: its resend is stored
        assert (
            session.scalar(select(ReceiverMessage).where(ReceiverMessage.receiver_account_id == panels["P2"]))
            is None
        )
    assert store.record_many([_event(panels["P2"], "0200")]) == [store.STORED]
