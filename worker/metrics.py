"""Prometheus metrics: task executions by task type, outcome and carrier error code, and Celery tasks.

The worker exports them on ``COMMISSIONER_METRICS_PORT`` (0: off). What is counted:

- ``commissioner_executions_total{task_type, outcome, error_code}``: executions that reached an
  outcome (succeeded, failed, superseded, unconfirmed) or were rescheduled after a transient failure
  (outcome ``retry``, e.g. error_code 40000029 when the carrier throttled us);
- ``commissioner_execution_latency_seconds{task_type, outcome}``: from the press (the execution's
  creation) to its outcome;
- ``commissioner_celery_tasks_total{task, state}`` and ``commissioner_celery_task_seconds{task}``:
  every Celery task the worker ran (the doorbells, the relay's sweeps).

Outcomes are observed where they become true: when the transaction that changed an execution's status
commits (a SQLAlchemy session hook, as warehouse purges its caches), so whichever code path finishes an
execution (the runner, the relay, a claim that supersedes) is counted once, and nothing rolled back is.

A prefork worker runs tasks in child processes, so the exporter uses prometheus_client's multiprocess
mode: every process writes its samples under ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary directory
unless the environment names one) and the main process serves their sum. prometheus_client decides how
to store samples when it is imported, so this module imports it only inside functions and has it decide
again once the directory is set. The web app can serve a registry the same way with
``make_asgi_app(registry=metrics.registry())`` (the worker's samples too, if both processes share one
``PROMETHEUS_MULTIPROC_DIR`` on one host).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from models import ExecutionStatus, Task, TaskExecution

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
RETRY = "retry"  # the outcome label of an execution rescheduled after a transient failure
# Press-to-outcome: a few milliseconds on a quiet system, minutes when the carrier throttles or is down.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
TASK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_PENDING = "commissioner.metrics"


class ExecutionMetrics:
    """The metric objects, registered in ``registry`` (default: prometheus_client's own)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import REGISTRY, Counter, Histogram

        target = registry if registry is not None else REGISTRY
        self.executions = Counter(
            "commissioner_executions",
            "Task executions that reached an outcome, or were rescheduled (outcome=retry)",
            ["task_type", "outcome", "error_code"],
            registry=target,
        )
        self.latency = Histogram(
            "commissioner_execution_latency_seconds",
            "From the press that created a task execution to its outcome",
            ["task_type", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=target,
        )
        self.tasks = Counter(
            "commissioner_celery_tasks",
            "Celery tasks the worker ran, by final state",
            ["task", "state"],
            registry=target,
        )
        self.task_seconds = Histogram(
            "commissioner_celery_task_seconds",
            "Run time of Celery tasks in the worker",
            ["task"],
            buckets=TASK_BUCKETS,
            registry=target,
        )

    def execution(
        self, task_type: str, outcome: str, error_code: str | None, latency_s: float | None
    ) -> None:
        """Count one execution outcome (``retry`` for a reschedule) and its press-to-outcome latency."""
        self.executions.labels(task_type, outcome, error_code or "").inc()
        if latency_s is not None and outcome != RETRY:
            self.latency.labels(task_type, outcome).observe(max(0.0, latency_s))

    def task(self, name: str, state: str, seconds: float | None) -> None:
        """Count one Celery task run that ended in ``state`` (SUCCESS, FAILURE, RETRY ...)."""
        self.tasks.labels(name, state).inc()
        if seconds is not None:
            self.task_seconds.labels(name).observe(seconds)


@dataclass(frozen=True)
class _Change:
    task_id: int
    outcome: str
    error_code: str | None
    latency_s: float | None


class ExecutionObserver:
    """Feeds ``metrics`` with each execution status change, once its transaction has committed."""

    def __init__(self, metrics: ExecutionMetrics) -> None:
        self.metrics = metrics
        self._task_types: dict[int, str] = {}  # task id -> type; a task's type never changes

    def install(self) -> None:
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "after_commit", self._after_commit)
        event.listen(Session, "after_rollback", self._after_rollback)
        event.listen(Task, "load", self._remember_task)

    def uninstall(self) -> None:
        event.remove(Session, "after_flush", self._after_flush)
        event.remove(Session, "after_commit", self._after_commit)
        event.remove(Session, "after_rollback", self._after_rollback)
        event.remove(Task, "load", self._remember_task)

    def _after_flush(self, session: Session, _context: Any) -> None:
        try:
            changes = [c for c in map(_change_of, session.dirty) if c is not None]
        except Exception:  # metrics must never break a unit of work
            log.debug("metrics: could not read execution changes", exc_info=True)
            return
        if changes:
            session.info.setdefault(_PENDING, []).extend(changes)

    def _after_commit(self, session: Session) -> None:
        changes: list[_Change] = session.info.pop(_PENDING, [])
        for change in changes:
            try:
                task_type = self._task_types.get(change.task_id, "unknown")
                self.metrics.execution(task_type, change.outcome, change.error_code, change.latency_s)
            except Exception:
                log.debug("metrics: could not count an execution outcome", exc_info=True)

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_PENDING, None)

    def _remember_task(self, task: Task, _context: Any) -> None:
        # Every path that finishes an execution has its task from pipeline.resolution.task, which loads
        # it in this process once per configuration generation: the type is known here without a query.
        self._task_types[task.id] = task.type


def _change_of(row: object) -> _Change | None:
    if not isinstance(row, TaskExecution):
        return None
    history = inspect(row).attrs.status.history
    if not history.added or not history.deleted:
        return None
    status = history.added[0]
    if status == ExecutionStatus.RUNNING:
        return None  # a claim: the outcome comes later
    if status == ExecutionStatus.PENDING:
        return _Change(row.task_id, RETRY, row.error_code, None)
    return _Change(row.task_id, str(status), row.error_code, _seconds(row.created_at, row.finished_at))


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


class TaskTimer:
    """Celery signal handlers that time each task run in the process that runs it."""

    def __init__(self, metrics: ExecutionMetrics) -> None:
        self.metrics = metrics
        self._started: dict[str, float] = {}

    def connect(self) -> None:
        from celery import signals

        signals.task_prerun.connect(self.prerun, weak=False)
        signals.task_postrun.connect(self.postrun, weak=False)

    def prerun(self, task_id: str | None = None, **_: Any) -> None:
        if task_id:
            self._started[task_id] = time.perf_counter()

    def postrun(
        self, task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
    ) -> None:
        started = self._started.pop(task_id, None) if task_id else None
        seconds = time.perf_counter() - started if started is not None else None
        name = getattr(task, "name", None) or "unknown"
        try:
            self.metrics.task(name, state or "UNKNOWN", seconds)
        except Exception:
            log.debug("metrics: could not count a task run", exc_info=True)


_metrics: ExecutionMetrics | None = None
_created_dir: str | None = None


def registry() -> CollectorRegistry:
    """What a /metrics endpoint serves: in multiprocess mode the sum over every process writing to
    ``PROMETHEUS_MULTIPROC_DIR``, else this process's registry."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if os.environ.get(MULTIPROC_ENV):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
        return collected
    return REGISTRY


def start_worker_exporter(port: int) -> ExecutionMetrics | None:
    """In a worker's main process, before its pool starts: count executions and Celery tasks in every
    process of the worker and serve them on ``port`` (0: do nothing). Returns the metrics."""
    global _metrics
    if port == 0 or _metrics is not None:
        return _metrics
    _prepare_multiprocess_dir()
    from prometheus_client import start_http_server

    _metrics = ExecutionMetrics()
    ExecutionObserver(_metrics).install()
    TaskTimer(_metrics).connect()
    try:
        start_http_server(port, registry=registry())
    except OSError as exc:
        # Say, a second worker on this host with the same port: it still works, without an exporter.
        log.error("no Prometheus metrics: cannot listen on port %d (%s)", port, exc)
        return _metrics
    log.info("Prometheus metrics on port %d (%s=%s)", port, MULTIPROC_ENV, os.environ[MULTIPROC_ENV])
    return _metrics


def _prepare_multiprocess_dir() -> None:
    global _created_dir
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        # Given by the deployment: start from zero, as the previous run's processes are gone.
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        _created_dir = tempfile.mkdtemp(prefix="commissioner-metrics-")
        os.environ[MULTIPROC_ENV] = _created_dir
    from prometheus_client import values

    # prometheus_client picks its value class when it is imported, and the celery command imports it
    # before any worker code runs (Flower registers itself as a celery subcommand). Pick again now
    # that the directory is set, so that the metrics created next write their samples there.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def process_exited(pid: int) -> None:
    """A pool process ended: drop its live gauges (counters and histograms stay in the sum)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def remove_multiprocess_dir() -> None:
    """At worker shutdown: delete the samples directory if this worker created it."""
    if _created_dir is not None:
        shutil.rmtree(_created_dir, ignore_errors=True)
