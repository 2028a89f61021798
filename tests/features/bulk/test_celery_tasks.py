"""The ``bulk.apply`` task: a bounded run of a job's rows, then the next run rung after they commit; a
killed or repeated run never applies a row twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from features.bulk import celery_tasks as bulk_task
from features.bulk import jobs
from models import BulkKind, BulkRow, BulkRowStatus, TaskExecution
from models.db import unit_of_work
from pipeline import outbox
from pipeline.outbox import Message
from tests import factories as f
from tests.features.bulk.runs import Runs
from worker import celery as worker_celery

OPERATOR = "bulk:web"


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> None:
    """A SQLite database with the Jasper setup: the task's work does not depend on the backend."""
    with unit_of_work() as session:
        f.seeded_client(session, "C1", 1)


def new_job(rows: int) -> int:
    lines = ["client_code,name,iccid,communicator_type"]
    lines += [f"B{n},Shop {n},{f.iccid(100 + n)},Jasper" for n in range(rows)]
    with unit_of_work() as session:
        opened = jobs.open_job(session, BulkKind.COMMISSION, "f.csv", "\n".join(lines).encode(), OPERATOR)
        return opened.job.id


def statuses(job_id: int) -> list[BulkRowStatus]:
    with unit_of_work() as session:
        return list(
            session.scalars(select(BulkRow.status).where(BulkRow.job_id == job_id).order_by(BulkRow.number))
        )


def execution_count() -> int:
    with unit_of_work() as session:
        return len(session.scalars(select(TaskExecution.id)).all())


def test_a_run_applies_a_bounded_chunk_then_rings_for_the_next(
    db: None, runs: Runs, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_task, "ROWS_PER_RUN", 2)
    job_id = new_job(5)

    assert bulk_task.apply(job_id, OPERATOR) == 2
    assert statuses(job_id).count(BulkRowStatus.APPLIED) == 2
    assert runs == [(job_id, OPERATOR)]
    assert len(published) == 2  # each row's Jasper execution, through the normal pipeline

    assert bulk_task.apply(*runs.pop()) == 2
    assert bulk_task.apply(*runs.pop()) == 1
    assert runs == []  # nothing left: the chain ends
    assert set(statuses(job_id)) == {BulkRowStatus.APPLIED}
    with unit_of_work() as session:
        signals = session.scalars(select(BulkRow.signal_ids).where(BulkRow.job_id == job_id)).all()
    assert all(signals)


def test_a_larger_job_runs_as_a_chain_of_short_runs(db: None, runs: Runs) -> None:
    job_id = new_job(250)
    chain = [bulk_task.apply(job_id, OPERATOR)]
    while runs:
        chain.append(bulk_task.apply(*runs.pop()))
    assert chain == [100, 100, 50]
    assert set(statuses(job_id)) == {BulkRowStatus.APPLIED}


def test_a_repeated_or_resumed_run_never_applies_a_row_twice(
    db: None, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_task, "ROWS_PER_RUN", 3)
    job_id = new_job(4)
    bulk_task.apply(job_id, OPERATOR)
    bulk_task.apply(job_id, OPERATOR)  # the same message delivered twice
    bulk_task.apply(job_id, OPERATOR)  # and a Resume
    assert set(statuses(job_id)) == {BulkRowStatus.APPLIED}
    assert execution_count() == 4  # one per row


def test_a_worker_killed_mid_row_loses_only_that_row_and_the_next_run_applies_it(
    db: None, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = new_job(3)
    real = jobs.apply_next
    calls = 0

    def dies_on_the_second_row(session: Session, job: int, operator: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            real(session, job, operator)  # the row is written, then the process dies before COMMIT
            raise SystemExit("killed")
        return real(session, job, operator)

    monkeypatch.setattr(jobs, "apply_next", dies_on_the_second_row)
    with pytest.raises(SystemExit):
        bulk_task.apply(job_id, OPERATOR)
    assert statuses(job_id) == [BulkRowStatus.APPLIED, BulkRowStatus.QUEUED, BulkRowStatus.QUEUED]
    assert runs == []  # the dead run rang for nothing: the job waits for a redelivery or Resume

    monkeypatch.setattr(jobs, "apply_next", real)
    bulk_task.apply(job_id, OPERATOR)
    assert set(statuses(job_id)) == {BulkRowStatus.APPLIED}
    assert execution_count() == 3


def test_the_next_run_is_not_rung_when_its_transaction_rolls_back(db: None, runs: Runs) -> None:
    job_id = new_job(1)

    def rolled_back() -> None:
        with unit_of_work() as session:
            bulk_task.publish_after_commit(session, job_id, OPERATOR)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rolled_back()
    assert runs == []
    with unit_of_work() as session:
        bulk_task.publish_after_commit(session, job_id, OPERATOR)
        assert runs == []  # not before the commit
    assert runs == [(job_id, OPERATOR)]


def test_a_job_that_no_longer_exists_is_a_warning_not_a_failure(
    db: None, runs: Runs, caplog: pytest.LogCaptureFixture
) -> None:
    assert bulk_task.apply(999, OPERATOR) == 0
    assert runs == []
    assert "bulk job 999 no longer exists" in caplog.text


def test_a_database_outage_is_retried(db: None, runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = new_job(2)
    real = jobs.apply_rows
    failures = iter([True, True])

    def flaky(job: int, operator: str, **options: Any) -> int:
        if next(failures, False):
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(job, operator, **options)

    monkeypatch.setattr(jobs, "apply_rows", flaky)
    bulk_task.apply.apply(args=[job_id, OPERATOR])  # eagerly: a retry runs again at once
    assert set(statuses(job_id)) == {BulkRowStatus.APPLIED}


class FakeApp:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send_task(self, name: str, **options: Any) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append((name, options))


def test_a_run_is_published_to_the_commissioner_queue_and_a_failed_publish_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeApp()
    monkeypatch.setattr(outbox, "_broker", fake)
    assert bulk_task.publish(7, OPERATOR) is True
    assert fake.sent == [("bulk.apply", {"args": [7, OPERATOR], "queue": "commissioner", "retry": False})]

    monkeypatch.setattr(outbox, "_broker", FakeApp(fail=True))
    assert bulk_task.publish(7, OPERATOR) is False
    assert "could not publish a run of bulk job 7 (ConnectionError)" in caplog.text


def test_the_task_is_registered_with_the_worker() -> None:
    assert "features.bulk.celery_tasks" in worker_celery.app.conf.include  # found by folder
    assert worker_celery.app.tasks[bulk_task.TASK].name == bulk_task.apply.name == "bulk.apply"
    assert bulk_task.QUEUE in worker_celery.QUEUES
