"""The Jasper task: set a SIM's status at a fake Control Center (httpx.MockTransport) and read it back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from carriers import pool
from carriers.accounts import CarrierAccount
from carriers.control_center_rest import KIND
from carriers.control_center_rest.client import ControlCenterApi
from carriers.errors import CarrierRejected
from centre import clients
from config import get_config, secrets
from features.commissioning import celery_tasks as jasper_task
from features.commissioning.celery_tasks import JasperPerformer, SimJob
from models import Client, CommunicatorType, ExecutionStatus, TaskExecution
from models.db import unit_of_work
from pipeline import history, system_events
from pipeline.executions import Claim
from pipeline.outbox import Message
from pipeline.runner import TargetError, TaskLevelError, run
from tests import factories as f

ICCID = f.iccid(1)
BASIC = "Basic " + base64.b64encode(f"{f.API_USER}:{f.API_KEY}".encode()).decode()


@dataclass
class FakeControlCenter:
    """Control Center's device calls, with its status rules: 10030000 for activating an active SIM."""

    statuses: dict[str, str] = field(default_factory=dict)
    applies_changes: bool = True
    answer: httpx.Response | None = None  # answers every call with this, when set
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer
        iccid = request.url.path.rsplit("/", 1)[-1]
        current = self.statuses.get(iccid, "ACTIVATION_READY")
        if request.method == "GET":
            return httpx.Response(200, json={"iccid": iccid, "status": current})
        wanted = json.loads(request.content)["status"]
        if wanted == "ACTIVATED" and current == "ACTIVATED":
            return _error(400, "10030000", "Cannot activate a SIM which is already activated.")
        if self.applies_changes:
            self.statuses[iccid] = wanted
        return httpx.Response(200, json={"iccid": iccid})

    @property
    def calls(self) -> list[tuple[str, object]]:
        return [(r.method, json.loads(r.content) if r.content else None) for r in self.requests]


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errorCode": code, "errorMessage": message})


@pytest.fixture
def carrier(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeControlCenter]:
    """The fake Control Center, behind the ControlCenterApi the task gets for any account."""
    fake = FakeControlCenter()
    made: list[tuple[CarrierAccount, ControlCenterApi]] = []

    def get(account: CarrierAccount) -> ControlCenterApi:
        client = ControlCenterApi(
            account.server_address,
            account.user_name,
            account.secret,
            transport=httpx.MockTransport(fake),
        )
        made.append((account, client))
        return client

    monkeypatch.setattr(pool, "carrier", get)
    yield fake
    for _, client in made:
        client.close()


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


def _account(communicator_type_id: int = 1) -> CarrierAccount:
    return CarrierAccount(
        communicator_type_id=communicator_type_id,
        kind=KIND,
        server_address=f.SERVER,
        user_name=f.API_USER,
        secret=f.API_KEY,
        secrets={"api_key": f.API_KEY},
        calls_per_second=1.0,
    )


def _change(wanted: str) -> SimJob:
    command = {"ACTIVATED": "Activate", "DEACTIVATED": "Deactivate"}[wanted]
    return SimJob(_account(), ICCID, {"command_type": command})


# -- perform -------------------------------------------------------------------------------------------


def test_activate_puts_the_status_then_reads_it_back(env: dict[str, str], carrier: FakeControlCenter) -> None:
    report = JasperPerformer().perform(_change("ACTIVATED"))

    assert (report.status, report.text) == (ExecutionStatus.SUCCEEDED, "ACTIVATED, confirmed by the carrier")
    assert carrier.calls == [("PUT", {"status": "ACTIVATED"}), ("GET", None)]
    put = carrier.requests[0]
    assert str(put.url) == f"{f.SERVER}/devices/{ICCID}"
    assert put.headers["Authorization"] == BASIC


def test_deactivate_puts_deactivated(env: dict[str, str], carrier: FakeControlCenter) -> None:
    carrier.statuses[ICCID] = "ACTIVATED"

    report = JasperPerformer().perform(_change("DEACTIVATED"))

    assert report.status == ExecutionStatus.SUCCEEDED
    assert carrier.calls[0] == ("PUT", {"status": "DEACTIVATED"})
    assert carrier.statuses[ICCID] == "DEACTIVATED"


def test_an_already_activated_sim_is_a_success(env: dict[str, str], carrier: FakeControlCenter) -> None:
    carrier.statuses[ICCID] = "ACTIVATED"

    report = JasperPerformer().perform(_change("ACTIVATED"))

    assert (report.status, report.text) == (ExecutionStatus.SUCCEEDED, "already ACTIVATED")
    assert [method for method, _ in carrier.calls] == ["PUT"]


def test_10030000_on_a_deactivation_is_not_taken_for_success(
    env: dict[str, str], carrier: FakeControlCenter
) -> None:
    carrier.answer = _error(400, "10030000", "Cannot activate a SIM which is already activated.")

    with pytest.raises(CarrierRejected) as caught:
        JasperPerformer().perform(_change("DEACTIVATED"))

    assert caught.value.error_code == "10030000"


def test_a_sim_that_never_shows_the_new_status_is_unconfirmed(
    env: dict[str, str], carrier: FakeControlCenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMISSIONER_CONFIRM_ATTEMPTS", "3")
    monkeypatch.setenv("COMMISSIONER_CONFIRM_INTERVAL_S", "0")
    get_config.cache_clear()
    carrier.applies_changes = False

    report = JasperPerformer().perform(_change("ACTIVATED"))

    assert report.status == ExecutionStatus.UNCONFIRMED
    assert "accepted, not yet confirmed" in report.text
    assert [method for method, _ in carrier.calls] == ["PUT", "GET", "GET", "GET"]


# -- prepare -------------------------------------------------------------------------------------------


def _claim(comm_id: int, options: dict[str, object] | None = None) -> Claim:
    return Claim(
        execution_id=1,
        lease_token=1,
        attempt=1,
        task_type="jasper",
        client_id=1,
        options=options or {"command_type": "Deactivate"},
        target={"communicator_type_id": comm_id, "addon_device_id": 1, "iccid": ICCID},
        cause_depth=0,
    )


def test_prepare_reads_the_account_and_decrypts_its_key(db: Session) -> None:
    comm = f.jasper_type(db)

    change = JasperPerformer().prepare(db, _claim(comm.id))

    assert change == SimJob(_account(comm.id), ICCID, {"command_type": "Deactivate"})
    assert f.API_KEY not in repr(change.account)


def test_prepare_with_an_undecryptable_key_is_a_task_level_error(
    db: Session, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    comm = f.jasper_type(db)
    monkeypatch.setenv("COMMISSIONER_ENCRYPTION_KEYS", Fernet.generate_key().decode())  # the old key is lost
    get_config.cache_clear()
    secrets.reset_cache()

    with pytest.raises(
        TaskLevelError, match="communicator type Jasper: a stored API key cannot be decrypted"
    ):
        JasperPerformer().prepare(db, _claim(comm.id))


def test_prepare_for_a_deleted_communicator_type_is_a_target_error(db: Session) -> None:
    with pytest.raises(TargetError, match="no longer exists"):
        JasperPerformer().prepare(db, _claim(424242))


# -- end to end through the runner ---------------------------------------------------------------------


def _commissioned(sims: tuple[int, ...] = (1,)) -> int:
    with unit_of_work() as session:
        client = f.seeded_client(session, "C1", *sims)
        clients.commission(session, client, "alice")
        return client.id


def _history(client_id: int) -> list[history.HistoryEntry]:
    with unit_of_work() as session:
        client = session.get(Client, client_id)
        assert client is not None
        return history.signals(session, client)


def test_commission_activates_the_sim_and_the_outcome_lands_in_history(
    database: str, published: list[Message], carrier: FakeControlCenter
) -> None:
    client_id = _commissioned()
    ((execution_id, task_name, _, _),) = published

    assert task_name == jasper_task.set_sim_status.name
    run(execution_id, JasperPerformer())

    assert carrier.statuses == {ICCID: "ACTIVATED"}
    entries = [(e.type_no, e.outcome, e.execution_id) for e in _history(client_id)]
    assert entries == [
        (system_events.CLIENT_COMMISSIONED, None, None),
        (system_events.TASK_SUCCEEDED, "succeeded", execution_id),
    ]
    assert ICCID in _history(client_id)[-1].memo


def test_decommission_deactivates_through_the_celery_task(
    sqlite_database: str, published: list[Message], carrier: FakeControlCenter
) -> None:
    carrier.statuses[ICCID] = "ACTIVATED"
    client_id = _commissioned()
    published.clear()
    with unit_of_work() as session:
        client = session.get(Client, client_id)
        assert client is not None
        clients.decommission(session, client, "alice", "closed", offline=True)
    ((execution_id, task_name, queue, _),) = published

    jasper_task.set_sim_status(execution_id)  # what the worker runs for the message

    assert (task_name, queue) == ("jasper.set_sim_status", "jasper")
    assert carrier.statuses == {ICCID: "DEACTIVATED"}
    assert _history(client_id)[-1].outcome == "succeeded"


def test_refused_credentials_fail_and_are_logged_on_the_system_account(
    sqlite_database: str, published: list[Message], carrier: FakeControlCenter
) -> None:
    carrier.answer = _error(401, "10000001", "Invalid credentials.")
    client_id = _commissioned()
    ((execution_id, *_),) = published

    run(execution_id, JasperPerformer())

    with unit_of_work() as session:
        execution = session.get(TaskExecution, execution_id)
        assert execution is not None
        assert (execution.status, execution.error_code) == (ExecutionStatus.FAILED, "10000001")
        assert f.API_KEY not in (execution.last_error or "")
        system = session.scalar(select(Client).where(Client.is_template.is_(True)))
        assert system is not None
        assert [s.type_no for s in f.signals(session, system)] == [system_events.TASK_FAILED]
    assert _history(client_id)[-1].outcome == "failed"


def test_the_stored_key_is_what_the_carrier_receives(sqlite_database: str, published: list[Message]) -> None:
    with unit_of_work() as session:
        comm = f.jasper_type(session)
        stored = session.scalar(
            select(CommunicatorType.api_key_encrypted).where(CommunicatorType.id == comm.id)
        )
    assert stored != f.API_KEY
    assert secrets.decrypt(stored or "") == f.API_KEY
