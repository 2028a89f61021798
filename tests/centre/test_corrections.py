"""Corrections: rename and retire a client, edit and remove a device, remove an unused communicator
type; each logged in the operator log and the client's history, none losing history.

Before, there was no way, on any interface, to correct any of these."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, corrections
from centre.clients import ClientRef
from centre.errors import Conflict, InvalidInput, NotFound
from models import AddonDevice, CommunicatorType, ExecutionStatus, OperatorLog, Signal, TaskExecution
from models.db import unit_of_work
from pipeline import executions, system_events
from pipeline.outbox import Message
from tests import factories as f


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    with unit_of_work() as s:
        yield s


def _corrections(session: Session, client_id: int) -> list[str]:
    rows = session.scalars(
        select(Signal.memo).where(
            Signal.client_id == client_id, Signal.type_no == system_events.RECORD_CORRECTED
        )
    )
    return list(rows)


def test_rename_keeps_the_code_and_is_logged(db: Session) -> None:
    client = f.seeded_client(db, "R1", 1)
    corrections.rename(db, client, "  12 High Street  ", "alice")
    assert (client.client_code, client.name) == ("R1", "12 High Street")
    assert _corrections(db, client.id) == ["renamed from 'Client R1' to '12 High Street'"]
    logged = db.scalar(select(OperatorLog).where(OperatorLog.action == "client.rename"))
    assert logged is not None
    assert logged.operator == "alice"
    with pytest.raises(InvalidInput, match="single line"):
        corrections.rename(db, client, "a\x1b[2Jb", "alice")


def test_a_retired_client_is_kept_hidden_and_read_only(db: Session) -> None:
    client = f.seeded_client(db, "R2", 2)
    clients.commission(db, client, "alice")
    with pytest.raises(Conflict, match="decommission it first"):
        corrections.retire(db, client, "alice")
    clients.decommission(db, client, "alice", "moved out")
    corrections.retire(db, client, "alice")
    assert clients.search(db, "R2") == []
    assert clients.find(db, ClientRef("R2")).id == client.id  # kept, with its history
    for change in (
        lambda: clients.commission(db, client, "alice"),
        lambda: clients.decommission(db, client, "alice", "again"),
        lambda: corrections.rename(db, client, "x", "alice"),
        lambda: clients.add_device(db, client, "Jasper", f.iccid(9), "alice"),
    ):
        with pytest.raises(Conflict, match="retired: it is read-only"):
            change()
    corrections.restore(db, client, "alice")
    assert clients.search(db, "R2") == [client]


def test_a_device_is_edited_to_another_iccid_and_removed(db: Session) -> None:
    client = f.seeded_client(db, "R3", 3)
    device = db.scalars(select(AddonDevice).where(AddonDevice.client_id == client.id)).one()
    edited, old = corrections.edit_device(db, client, device.id, "alice", device_ref_no=f.iccid(4))
    assert (old, edited.device_ref_no) == (f.iccid(3), f.iccid(4))
    with pytest.raises(InvalidInput):
        corrections.edit_device(db, client, device.id, "alice", device_ref_no="1234")
    other = f.seeded_client(db, "R4", 5)
    with pytest.raises(Conflict, match="already on client R4"):
        corrections.edit_device(db, client, device.id, "alice", device_ref_no=f.iccid(5))
    with pytest.raises(NotFound):
        corrections.edit_device(db, other, device.id, "alice", device_ref_no=f.iccid(6))
    corrections.remove_device(db, client, device.id, "alice")
    assert db.get(AddonDevice, device.id) is None
    assert _corrections(db, client.id) == [
        f"Jasper Device Ref No {f.iccid(3)} changed to {f.iccid(4)}",
        f"Jasper Device Ref No {f.iccid(4)} removed",
    ]


def test_a_device_whose_sim_has_a_change_in_flight_is_not_changed(db: Session) -> None:
    client = f.seeded_client(db, "R5", 7)
    clients.commission(db, client, "alice")
    device = db.scalars(select(AddonDevice).where(AddonDevice.client_id == client.id)).one()
    with pytest.raises(Conflict, match="in flight"):
        corrections.edit_device(db, client, device.id, "alice", device_ref_no=f.iccid(8))
    with pytest.raises(Conflict, match="in flight"):
        corrections.remove_device(db, client, device.id, "alice")
    execution = db.scalars(select(TaskExecution)).one()
    claim = executions.claim(db, execution.id)
    assert claim is not None
    executions.complete(db, claim, ExecutionStatus.SUCCEEDED, "ACTIVATED")
    corrections.edit_device(db, client, device.id, "alice", device_ref_no=f.iccid(8))


def test_only_an_unused_communicator_type_is_removed(db: Session) -> None:
    f.seeded_client(db, "R6", 10)
    used = db.scalars(select(CommunicatorType)).one()
    with pytest.raises(Conflict, match="1 add-on device use"):
        corrections.remove_communicator_type(db, used, "alice")
    spare = f.jasper_type(db, "Spare")
    corrections.remove_communicator_type(db, spare, "alice")
    assert db.get(CommunicatorType, spare.id) is None
