"""The measured runs: the floor (no-op tasks) and the pipeline (commissions), in a burst or at a fixed
offered rate, on a running deployment.

A pipeline run presses Commission on fresh clients of one SIM each, through ``centre.clients`` in
one unit of work per press, and is done when every execution has its outcome signal in the client's
history. Its times come from the database (the outcome signal's ``received_at``) and this process's
clock (when the press started): the same machine, so one clock.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from bench import floor
from bench.deployment import Deployment
from bench.probes import Sampler, Usage
from centre import clients
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from cli.processes import wait_until
from models import ExecutionStatus, Signal, TaskExecution
from models.db import unit_of_work
from pipeline import outbox

PIPELINE_ACCOUNT = "Carrier"  # paced at the carrier's maximum: pacing never waits
LIMITED_ACCOUNT = "Carrier limited"
RATE_LIMIT_CODE = "40000029"
_batches = itertools.count(1)
_tokens = itertools.count(1)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Run:
    """One measured run: when each event was offered and when it was done."""

    kind: str  # floor or pipeline
    mode: str  # burst or rate
    offered: list[float]  # wall time each event was offered (press started, message published)
    done: list[float]  # wall time each event was done, same order; NaN if it never was
    usage: dict[str, Usage] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # pipeline: median seconds per phase
    # PostgreSQL only: per role (postgres: the presses, worker: the worker), (calls, statement).
    statements: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.offered)

    @property
    def completed(self) -> int:
        return sum(1 for t in self.done if not math.isnan(t))

    @property
    def start(self) -> float:
        return min(self.offered)

    @property
    def duration_s(self) -> float:
        return max(t for t in self.done if not math.isnan(t)) - self.start

    @property
    def throughput(self) -> float:
        """Events per second, from the first offer to the last completion."""
        return self.completed / self.duration_s if self.completed else 0.0

    @property
    def offered_rate(self) -> float:
        span = max(self.offered) - self.start
        return (self.n - 1) / span if span > 0 else math.inf

    @property
    def latencies_s(self) -> list[float]:
        return [d - o for o, d in zip(self.offered, self.done, strict=True) if not math.isnan(d)]

    def figures(self) -> dict[str, Any]:
        """Every figure of the run, latencies in milliseconds."""
        latencies = self.latencies_s
        worker = self.usage.get("worker", Usage())
        figures: dict[str, Any] = {
            "events": self.n,
            "completed": self.completed,
            "duration_s": self.duration_s if self.completed else math.nan,
            "events_per_s": self.throughput,
            "offered_per_s": self.offered_rate,
            "latency_p50_ms": percentile(latencies, 50) * 1000,
            "latency_p95_ms": percentile(latencies, 95) * 1000,
            "latency_p99_ms": percentile(latencies, 99) * 1000,
            "latency_max_ms": max(latencies, default=math.nan) * 1000,
            "worker_cpu_s_per_event": worker.cpu_s / self.n if self.n else math.nan,
            "worker_peak_rss_mb": worker.peak_rss_kb / 1024,
            "worker_peak_pss_mb": worker.peak_pss_kb / 1024,
            "worker_processes": worker.processes,
        }
        for name, usage in self.usage.items():
            if name != "worker":
                figures[f"{name}_cpu_s_per_event"] = usage.cpu_s / self.n if self.n else math.nan
        figures |= {f"phase_{name}_p50_ms": seconds * 1000 for name, seconds in self.phases.items()}
        for role, who in (("postgres", "press"), ("worker", "worker")):
            if role in self.statements and self.n:
                calls = self.statements[role]
                figures[f"sql_statements_per_event_{who}"] = sum(c for c, _ in calls) / self.n
                begins = sum(c for c, query in calls if query.upper().startswith("BEGIN"))
                figures[f"sql_transactions_per_event_{who}"] = begins / self.n
        figures["problems"] = len(self.problems)
        return figures

    def completions_per_second(self, bucket_s: float = 0.5) -> list[tuple[float, float]]:
        """(seconds since the start, completions per second) in buckets of ``bucket_s``."""
        done = sorted(t - self.start for t in self.done if not math.isnan(t))
        if not done:
            return []
        buckets = [0] * (int(done[-1] / bucket_s) + 1)
        for t in done:
            buckets[int(t / bucket_s)] += 1
        return [(i * bucket_s, count / bucket_s) for i, count in enumerate(buckets)]


# -- offering events ---------------------------------------------------------------------------------


PRESS_THREADS = 4  # operators and API clients press at once; one thread could not offer 50/s


def _offer(count: int, rate: float | None, offer_one: Callable[[int], float]) -> list[float]:
    """Call ``offer_one(i)`` for each event from ``PRESS_THREADS`` threads: as fast as they can
    (burst) or each at its time for ``rate`` per second."""
    begin = time.monotonic()

    def at(i: int) -> float:
        if rate:
            wait = begin + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        return offer_one(i)

    with ThreadPoolExecutor(PRESS_THREADS, thread_name_prefix="bench-press") as pool:
        return list(pool.map(at, range(count)))


def _deadline(count: int, per_event_s: float) -> float:
    return 60 + count * per_event_s


# -- the floor ---------------------------------------------------------------------------------------


def floor_run(deployment: Deployment, count: int, rate: float | None = None) -> Run:
    """Publish ``count`` no-op messages (one publish each, as each press makes) and wait until done."""
    tokens = [next(_tokens) for _ in range(count)]

    def publish(i: int) -> float:
        offered = time.time()
        outbox.publish([(tokens[i], floor.NAME, floor.QUEUE, 0.0)])
        return offered

    with Sampler(_roots(deployment)) as sampler:
        offered = _offer(count, rate, publish)
        wanted = set(tokens)

        def drained() -> bool:
            return wanted <= floor.read_log(deployment.floor_log).keys()

        problems = _wait(drained, _deadline(count, 0.5), f"{count} no-op tasks")
    done_at = floor.read_log(deployment.floor_log)
    done = [done_at.get(token, math.nan) for token in tokens]
    return Run("floor", "rate" if rate else "burst", offered, done, sampler.usage, problems)


# -- the pipeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Fresh clients of one SIM each, made for one run; ids ``first_id``..``last_id``."""

    codes: list[str]
    first_id: int
    last_id: int


def make_clients(count: int, account: str, chunk: int = 250) -> Batch:
    """``count`` new clients, each with one SIM on ``account`` (made before the clock starts)."""
    batch = next(_batches)
    codes, ids = [], []
    for start in range(0, count, chunk):
        with unit_of_work() as session:
            for i in range(start, min(count, start + chunk)):
                code = f"B{batch:04d}-{i:06d}"
                client = clients.add(session, code, f"Bench client {batch}/{i}", "bench")
                clients.add_device(
                    session, client, account, with_luhn_digit(f"8988{batch:05d}{i:09d}"), "bench"
                )
                codes.append(code)
                ids.append(client.id)
    return Batch(codes, min(ids), max(ids))


def pipeline_run(deployment: Deployment, batch: Batch, rate: float | None = None) -> Run:
    """Commission every client of ``batch`` (burst, or at ``rate`` per second) and wait for every
    outcome signal."""
    count = len(batch.codes)
    reader = deployment.reader()

    def press(i: int) -> float:
        started = time.time()
        with unit_of_work() as session:
            clients.commission(session, clients.find(session, ClientRef(batch.codes[i])), "bench")
        return started

    def outcomes() -> int:
        with reader.connect() as conn:
            return int(conn.scalar(_outcome_count(batch)) or 0)

    postgres = deployment.postgres
    if postgres is not None:
        postgres.reset_statements()
    try:
        with Sampler(_roots(deployment)) as sampler:
            offered = _offer(count, rate, press)
            problems = _wait(lambda: outcomes() >= count, _deadline(count, 2.0), f"{count} outcome signals")
        statements = postgres.statements() if postgres is not None else {}
        rows = _execution_rows(reader, batch)
    finally:
        reader.dispose()
    done, phases, checked = _done_times(batch, rows)
    run = Run("pipeline", "rate" if rate else "burst", offered, done, sampler.usage, problems + checked)
    run.phases, run.statements = phases, statements
    return run


def _outcome_count(batch: Batch) -> Any:
    return (
        select(func.count())
        .select_from(Signal)
        .where(Signal.client_id.between(batch.first_id, batch.last_id), Signal.execution_id.is_not(None))
    )


def _execution_rows(reader: Any, batch: Batch) -> list[Any]:
    outcome = Signal.__table__.alias("outcome")
    query = (
        select(
            TaskExecution.client_id,
            TaskExecution.status,
            TaskExecution.created_at,
            TaskExecution.started_at,
            TaskExecution.finished_at,
            outcome.c.received_at,
        )
        .outerjoin(
            outcome,
            and_(outcome.c.execution_id == TaskExecution.id, outcome.c.client_id == TaskExecution.client_id),
        )
        .where(TaskExecution.client_id.between(batch.first_id, batch.last_id))
        .order_by(TaskExecution.client_id)
    )
    with reader.connect() as conn:
        return list(conn.execute(query))


def _done_times(batch: Batch, rows: list[Any]) -> tuple[list[float], dict[str, float], list[str]]:
    """Per client (in press order): when its outcome signal was logged; median phases; problems."""
    by_client: dict[int, Any] = {}
    problems = []
    for row in rows:
        if row.client_id in by_client:
            problems.append(f"client {row.client_id}: more than one execution")
        by_client[row.client_id] = row
        if row.status != ExecutionStatus.SUCCEEDED:
            problems.append(f"client {row.client_id}: execution {row.status}")
    ordered = [by_client.get(client_id) for client_id in range(batch.first_id, batch.last_id + 1)]
    done = [_ts(row.received_at) if row is not None and row.received_at else math.nan for row in ordered]
    finished = [row for row in ordered if row is not None and row.finished_at and row.started_at]
    phases = {}
    if finished:
        phases = {
            "queued": statistics.median(_span(r.created_at, r.started_at) for r in finished),
            "running": statistics.median(_span(r.started_at, r.finished_at) for r in finished),
        }
    return done, phases, problems


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _span(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


# -- shared ------------------------------------------------------------------------------------------


def _roots(deployment: Deployment) -> dict[str, int]:
    assert deployment.worker is not None
    roots = {"worker": deployment.worker.pid}
    roots |= {name: pid for name, pid in deployment.server_pids().items() if name != "harness"}
    return roots


def _wait(check: Callable[[], bool], timeout_s: float, what: str) -> list[str]:
    try:
        wait_until(check, timeout_s, what, interval_s=0.05)
    except TimeoutError as exc:
        return [str(exc)]
    return []


def warm_up(deployment: Deployment, slots: int) -> None:
    """Run a few no-op tasks and commissions in every worker slot (engines, HTTP clients, imports)."""
    count = max(4, 2 * slots)
    floor_run(deployment, count)
    pipeline_run(deployment, make_clients(count, PIPELINE_ACCOUNT))


def rate_limit_answers(calls: list[dict[str, Any]]) -> int:
    """Answers 40000029 (rate limit exceeded) in the simulator's call log."""
    return sum(1 for call in calls if call.get("errorCode") == RATE_LIMIT_CODE)
