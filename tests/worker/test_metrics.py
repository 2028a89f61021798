"""Prometheus metrics: executions counted per task type, outcome and carrier error code, once each,
when the transaction that decided them commits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from centre import clients
from models import Client, ExecutionStatus, TaskExecution
from models.db import unit_of_work
from pipeline import executions
from tests import factories as f
from worker import metrics


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def observed(registry: CollectorRegistry) -> Iterator[metrics.ExecutionMetrics]:
    """Metrics in a registry of their own, fed by the session hooks while the test runs."""
    counted = metrics.ExecutionMetrics(registry)
    observer = metrics.ExecutionObserver(counted)
    observer.install()
    try:
        yield counted
    finally:
        observer.uninstall()


def _count(
    registry: CollectorRegistry, outcome: str, error_code: str = "", task_type: str = "jasper"
) -> float:
    labels = {"task_type": task_type, "outcome": outcome, "error_code": error_code}
    return registry.get_sample_value("commissioner_executions_total", labels) or 0.0


def _latency_count(registry: CollectorRegistry, outcome: str) -> float:
    labels = {"task_type": "jasper", "outcome": outcome}
    return registry.get_sample_value("commissioner_execution_latency_seconds_count", labels) or 0.0


def _pressed(*sims: int, code: str = "C1") -> list[int]:
    """Commission a client holding ``sims`` in a unit of work of its own; the new execution ids."""
    with unit_of_work() as session:
        client = f.seeded_client(session, code, *sims)
        clients.commission(session, client, "alice")
        session.flush()
        return [e.id for e in f.executions(session, client)]


def _claimed(execution_id: int) -> executions.Claim:
    with unit_of_work() as session:
        claim = executions.claim(session, execution_id)
    assert claim is not None
    return claim


@pytest.mark.usefixtures("sqlite_database", "published")
def test_outcomes_are_counted_by_outcome_with_their_latency(
    registry: CollectorRegistry, observed: metrics.ExecutionMetrics
) -> None:
    first, second = _pressed(1, 2)
    for execution_id, status in ((first, ExecutionStatus.SUCCEEDED), (second, ExecutionStatus.UNCONFIRMED)):
        claim = _claimed(execution_id)
        with unit_of_work() as session:
            assert executions.complete(session, claim, status, "done")

    assert _count(registry, "succeeded") == 1
    assert _count(registry, "unconfirmed") == 1
    assert _count(registry, "failed") == 0
    assert _latency_count(registry, "succeeded") == 1
    assert _latency_count(registry, "unconfirmed") == 1


@pytest.mark.usefixtures("sqlite_database", "published")
def test_failures_and_retries_are_counted_by_carrier_error_code(
    registry: CollectorRegistry, observed: metrics.ExecutionMetrics
) -> None:
    throttled, rejected = _pressed(1, 2)
    claim = _claimed(throttled)
    with unit_of_work() as session:
        executions.retry_later(
            session, claim, "rate limited", 1.0, error_code="40000029", count_attempt=False
        )
    claim = _claimed(rejected)
    with unit_of_work() as session:
        executions.complete(session, claim, ExecutionStatus.FAILED, "invalid ICCID", error_code="20000001")

    assert _count(registry, metrics.RETRY, "40000029") == 1
    assert _count(registry, "failed", "20000001") == 1
    assert _count(registry, "failed") == 0  # no error code: a different series
    assert _latency_count(registry, metrics.RETRY) == 0  # a retry is not an outcome


@pytest.mark.usefixtures("sqlite_database", "published")
def test_a_superseded_execution_is_counted_where_the_claim_decides_it(
    registry: CollectorRegistry, observed: metrics.ExecutionMetrics
) -> None:
    (older,) = _pressed(1)
    with unit_of_work() as session:
        client = session.get(Client, session.get(TaskExecution, older).client_id)  # type: ignore[union-attr]
        assert client is not None
        clients.decommission(session, client, "alice", "moved out")

    with unit_of_work() as session:
        assert executions.claim(session, older) is None

    assert _count(registry, "superseded") == 1


@pytest.mark.usefixtures("sqlite_database", "published")
def test_nothing_is_counted_when_the_transaction_rolls_back(
    registry: CollectorRegistry, observed: metrics.ExecutionMetrics
) -> None:
    (execution_id,) = _pressed(1)
    claim = _claimed(execution_id)

    def failing_write() -> None:
        with unit_of_work() as session:
            executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "done")
            raise RuntimeError("the outcome write failed")

    with pytest.raises(RuntimeError):
        failing_write()

    assert _count(registry, "succeeded") == 0
    with unit_of_work() as session:
        executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "done")
    assert _count(registry, "succeeded") == 1


@pytest.mark.usefixtures("sqlite_database", "published")
def test_claims_and_presses_count_nothing(
    registry: CollectorRegistry, observed: metrics.ExecutionMetrics
) -> None:
    (execution_id,) = _pressed(1)
    _claimed(execution_id)

    assert not [
        sample
        for family in registry.collect()
        if family.name == "commissioner_executions"
        for sample in family.samples
        if sample.value
    ]


def test_task_runs_are_counted_and_timed(registry: CollectorRegistry) -> None:
    counted = metrics.ExecutionMetrics(registry)
    timer = metrics.TaskTimer(counted)

    class Task:
        name = "jasper.set_sim_status"

    timer.prerun(task_id="t1")
    timer.postrun(task_id="t1", task=Task(), state="SUCCESS")

    labels = {"task": "jasper.set_sim_status", "state": "SUCCESS"}
    assert registry.get_sample_value("commissioner_celery_tasks_total", labels) == 1
    count = registry.get_sample_value(
        "commissioner_celery_task_seconds_count", {"task": "jasper.set_sim_status"}
    )
    assert count == 1


def test_the_exporter_is_off_on_port_zero() -> None:
    assert metrics.start_worker_exporter(0) is None
