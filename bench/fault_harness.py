"""One scenario's running system, the presses made on it, and the checker that scores it afterwards.

The harness process is configured like any Commissioner process (``COMMISSIONER_*`` variables pointing
at the private instances), so a press goes through the real services in a real unit of work, and its
Celery message is published after commit exactly as the CLI or the web app would.

The checker runs after the system has drained (Jepsen's total-queue style):

- lost: an acknowledged press that fired no execution, or an execution without a terminal status
  and its outcome signal;
- duplicates: outcome signals beyond the first per execution and client;
- wrong: SIMs whose status at the carrier differs from what the last press for them asked for;
- failed: SIMs whose last execution did not succeed (a scenario may expect some).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bench import fault_stack as stack
from bench import servers
from bench.fault_platforms import API_KEY, JASPER_REST, USER, FaultPlatform
from bench.servers import Redis, commissioner_process
from carriers.platform import SimState
from centre import clients, communicator_types, seed
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from cli.processes import free_port, start_simulator, start_worker, wait_until
from models import ACTIVE_STATUSES, ExecutionStatus, Signal, TaskExecution
from models.db import unit_of_work
from worker import celery as worker_celery

OPERATOR = "faults"
# RabbitMQ is the machine's (a private one takes long to boot); each run uses queues of its own.
AMQP_URL = os.environ.get("COMMISSIONER_FAULTS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
SIM_USER, SIM_KEY = USER, API_KEY  # the simulator's admin (and Control Center user)
COMM_TYPE = "Carrier"
STATES = {"commission": SimState.ACTIVE, "decommission": SimState.SUSPENDED}

# Fast settings: short leases, a relay every second, small retry delays. Scenarios override some.
BASE_TUNING: dict[str, str] = {
    # A task's time limits are 0.9 and 0.8 of the lease: room for a PUT and five read-backs.
    "LEASE_S": "6",
    "VISIBILITY_TIMEOUT_S": "30",
    "MAX_COUNTDOWN_S": "10",
    "RELAY_INTERVAL_S": "1",
    "RELAY_REPUBLISH_AFTER_S": "4",
    "RETRY_MAX_ATTEMPTS": "20",
    "RETRY_BASE_DELAY_S": "0.2",
    "RETRY_MAX_DELAY_S": "2",
    "CONFIRM_ATTEMPTS": "5",
    "CONFIRM_INTERVAL_S": "0.05",
    "CARRIER_TIMEOUT_S": "2",
    "CARRIER_CONNECT_TIMEOUT_S": "1",
    "PACING_MAX_WAIT_S": "5",
}


@dataclass(frozen=True)
class Press:
    """An acknowledged press: its transaction committed."""

    code: str
    iccid: str
    wanted: str
    signal_ids: tuple[int, ...]
    latency_s: float
    done_at: float  # monotonic


@dataclass
class Figures:
    """What a scenario measured; ``extra`` holds the scenario's own figures."""

    scenario: str
    title: str
    presses: int = 0
    lost: int = 0
    duplicates: int = 0
    wrong: int = 0
    failed: int = 0
    superseded: int = 0
    puts: int = 0
    calls: int = 0
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The one line a scenario prints."""
        core = (
            f"presses={self.presses} lost={self.lost} duplicates={self.duplicates} wrong={self.wrong} "
            f"failed={self.failed} superseded={self.superseded} puts={self.puts} calls={self.calls}"
        )
        extra = "".join(f" {name}={_shown(value)}" for name, value in self.extra.items())
        return f"scenario {self.scenario} ({self.title}): {core}{extra} wall={self.wall_s:.1f}s"

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "title": self.title,
            "presses": self.presses,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "wrong": self.wrong,
            "failed": self.failed,
            "superseded": self.superseded,
            "puts": self.puts,
            "calls": self.calls,
            "wall_s": round(self.wall_s, 1),
            **self.extra,
        }


def _shown(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


class Harness:
    """A private PostgreSQL, Redis, simulator, worker and beat, with ``clients`` clients of one SIM each."""

    def __init__(
        self,
        scenario: str,
        *,
        clients_count: int,
        tuning: Mapping[str, str] | None = None,
        calls_per_second: float | None = None,
        concurrency: int = 2,
        broker: str = "redis",
        hosts: int = 1,
        platform: FaultPlatform = JASPER_REST,
    ) -> None:
        """``broker``: "redis" (a private redis-server) or "amqp" (the machine's RabbitMQ, under queue
        names of this run's own). ``hosts``: worker processes that each act as a host of its own (its
        own data directory: nothing a host keeps on disk is shared). ``platform``: the carrier
        platform the clients' SIMs are on; ``calls_per_second`` its pace (default: the platform's)."""
        self.scenario = scenario
        self.platform = platform
        self.wanted = {action: platform.wanted(state) for action, state in STATES.items()}
        self.broker = broker
        self.hosts = hosts
        self._other_hosts: list[subprocess.Popen[bytes]] = []
        self.clients_count = clients_count
        self.tuning = {**BASE_TUNING, **platform.tuning, **(tuning or {})}
        self.calls_per_second = calls_per_second or platform.calls_per_second
        self.concurrency = concurrency
        self.directory = Path(tempfile.mkdtemp(prefix=f"faults-{scenario}-"))
        self.presses: list[Press] = []
        self.refused_presses = 0
        self.started = time.monotonic()
        self._exits = contextlib.ExitStack()
        self._worker: subprocess.Popen[bytes] | None = None
        self.postgres: servers.Postgres | None = None
        self.redis: Redis | None = None
        self.sim_port = 0
        self.env: dict[str, str] = {}
        self.keep_logs = False
        self.drain_s = 0.0
        self.worker_crashes: list[int] = []  # exit codes of workers that ended on their own
        self._worker_lock = threading.Lock()
        self.queue_sampler: stack.QueueSampler | None = None

    # -- the stack ---------------------------------------------------------------------------------

    def __enter__(self) -> Harness:
        try:
            self._start()
        except BaseException:
            self._exits.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._exits.close()

    def _start(self) -> None:
        # The simulator and the worker take seconds to boot: they start while the rest is set up.
        exits = self._exits
        exits.callback(self._remove_directory)
        self.postgres = stack.prepared_postgres()
        self.redis = Redis(self.directory)
        self.sim_port = free_port()
        self.env = self._environment()
        pool = exits.enter_context(ThreadPoolExecutor(max_workers=1))
        options = list(self.platform.simulator_options)
        booting = pool.submit(start_simulator, self.sim_port, SIM_USER, SIM_KEY, options, self.env)
        exits.callback(_kill_when_started, booting)
        # Each cleanup is registered before its start, so an interrupted start leaves nothing behind.
        exits.callback(self.postgres.close)
        self.postgres.start()
        exits.callback(self.redis.close)
        self.redis.start()
        beat = stack.start_beat(self._worker_env(), self.directory, self.directory / "beat.log")
        exits.callback(stack.kill_group, beat)
        self.start_worker()
        # The figures are taken by then: nothing to wait for, and a warm shutdown can take 15 s.
        exits.callback(self.kill_worker)
        for host in range(2, self.hosts + 1):
            self._other_hosts.append(self._start_host(host))
            exits.callback(stack.kill_group, self._other_hosts[-1])
        booting.result()
        self.sim = httpx.Client(
            base_url=f"http://127.0.0.1:{self.sim_port}", auth=(SIM_USER, SIM_KEY), timeout=30
        )
        exits.callback(self.sim.close)
        exits.enter_context(commissioner_process(self.env))
        self.clients = self._seed()
        self.wait_worker_ready()
        if self.broker == "redis":
            self.queue_sampler = exits.enter_context(stack.QueueSampler(self.redis))
        else:
            exits.callback(stack.delete_amqp_queues, AMQP_URL, self.queue_prefix)
        exits.enter_context(stack.Every(0.5, self._supervise))
        self.started = time.monotonic()

    def _environment(self) -> dict[str, str]:
        assert self.postgres is not None
        assert self.redis is not None
        values = {f"COMMISSIONER_{name}": value for name, value in self.tuning.items()}
        values |= {
            "COMMISSIONER_DATA_DIR": str(self.directory),
            "COMMISSIONER_DATABASE_URL": self.postgres.url_for(stack.DATABASE),
            "COMMISSIONER_BROKER_URL": self.redis.url if self.broker == "redis" else AMQP_URL,
            "COMMISSIONER_QUEUE_PREFIX": self.queue_prefix,
            "COMMISSIONER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "COMMISSIONER_WEB_SECRET": Fernet.generate_key().decode(),
            "COMMISSIONER_ALLOW_INSECURE_CARRIERS": "true",  # the simulator runs on this machine
            # The harness itself only publishes; the "relay will publish them" lines are expected.
            "COMMISSIONER_LOG_LEVEL": "ERROR",
        }
        kept = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONER_")}
        return {**kept, **values}

    @property
    def queue_prefix(self) -> str:
        return f"faults-{self.directory.name}-"

    def _worker_env(self) -> dict[str, str]:
        return {**self.env, "COMMISSIONER_LOG_LEVEL": "INFO"}

    def _start_host(self, number: int) -> subprocess.Popen[bytes]:
        """Another worker as another host would run it: its own data directory (pacing files, heartbeat,
        key files) and log."""
        data = self.directory / f"host-{number}"
        data.mkdir()
        env = {**self._worker_env(), "COMMISSIONER_DATA_DIR": str(data)}
        log = str(self.directory / f"worker-host-{number}.log")
        extra = ["--loglevel", "INFO", "-n", f"host{number}@%h"]
        return start_worker(env, concurrency=self.concurrency, beat=False, extra=extra, log_path=log)

    def _remove_directory(self) -> None:
        if self.keep_logs:
            # Keep the logs for the report, not the cluster.
            shutil.rmtree(self.directory / "data", ignore_errors=True)
            return
        shutil.rmtree(self.directory, ignore_errors=True)

    def _seed(self) -> list[tuple[str, str]]:
        made = []
        with unit_of_work() as session:
            seed.seed(session, OPERATOR)
            platform = self.platform
            communicator_types.add(
                session,
                COMM_TYPE,
                f"http://127.0.0.1:{self.sim_port}{platform.path}",
                platform.user_name,
                platform.secret,
                OPERATOR,
                platform.kind,
                calls_per_second=self.calls_per_second,
            )
            for number in range(1, self.clients_count + 1):
                code = f"F{number:05d}"
                iccid = with_luhn_digit(f"8988{zlib.crc32(self.scenario.encode()) % 100:02d}{number:012d}")
                client = clients.add(session, code, f"Fault client {number}", OPERATOR)
                clients.add_device(session, client, COMM_TYPE, iccid, OPERATOR)
                made.append((code, iccid))
        self.load_sims({iccid: self.platform.initial for _, iccid in made})
        return made

    def load_sims(self, statuses: Mapping[str, str]) -> None:
        body = [self.platform.added(iccid, status) for iccid, status in statuses.items()]
        self.sim.post(self.platform.admin_sims, json=body).raise_for_status()

    # -- worker ------------------------------------------------------------------------------------

    def _supervise(self) -> None:
        """What compose's ``restart: unless-stopped`` does: start again a worker that exited on its
        own. Each exit is counted; a worker must not exit because a dependency blinked."""
        with self._worker_lock:
            if self._worker is None or self._worker.poll() is None:
                return
            self.worker_crashes.append(self._worker.returncode)
            stack.kill_group(self._worker)  # its pool children, if any are left
            self._worker = None
        time.sleep(1)  # the supervisor's restart delay
        with self._worker_lock:
            if self._worker is None:
                self._start_worker()

    def start_worker(self) -> None:
        with self._worker_lock:
            self._start_worker()

    def _start_worker(self) -> None:
        log = str(self.directory / "worker.log")
        self._worker = start_worker(
            self._worker_env(),
            concurrency=self.concurrency,
            beat=False,
            extra=["--loglevel", "INFO"],  # start_worker's default is WARNING; later wins
            log_path=log,
        )

    def wait_worker_ready(self, timeout_s: float = 60) -> None:
        """Wait until a worker answers a broadcast ping, so a batch is not pressed into a void."""
        wait_until(
            lambda: bool(worker_celery.app.control.ping(timeout=0.5)), timeout_s, "a worker to answer", 0.2
        )

    def kill_worker(self) -> None:
        """kill -9 the worker's main process (and, as a supervisor would, what is left of its group)."""
        with self._worker_lock:
            if self._worker is not None:
                stack.kill_group(self._worker)
                self._worker = None

    # -- presses -----------------------------------------------------------------------------------

    def press(self, code: str, iccid: str, action: str) -> Press | None:
        """Commission or decommission ``code`` in one unit of work; None if it was not acknowledged."""
        started = time.monotonic()
        try:
            with unit_of_work() as session:
                client = clients.find(session, ClientRef(code))
                if action == "commission":
                    logged = clients.commission(session, client, OPERATOR)
                else:
                    logged = clients.decommission(session, client, OPERATOR, "fault suite")
                session.flush()
                signal_ids = tuple(s.id for s in logged)
        except SQLAlchemyError:
            self.refused_presses += 1
            return None
        done = time.monotonic()
        made = Press(code, iccid, self.wanted[action], signal_ids, done - started, done)
        self.presses.append(made)
        return made

    def press_until_acknowledged(self, code: str, iccid: str, action: str, timeout_s: float = 120) -> Press:
        """Press again after a refusal, as an operator would, until the press is acknowledged."""
        deadline = time.monotonic() + timeout_s
        while True:
            made = self.press(code, iccid, action)
            if made is not None:
                return made
            if time.monotonic() > deadline:
                raise TimeoutError(f"press {action} {code} refused for {timeout_s:.0f} s")
            time.sleep(0.5)

    def commission_all(self, members: list[tuple[str, str]] | None = None) -> None:
        for code, iccid in members if members is not None else self.clients:
            self.press_until_acknowledged(code, iccid, "commission")

    # -- the simulator -----------------------------------------------------------------------------

    def faults(self, **changes: object) -> None:
        self.sim.put("/_admin/faults", json=changes).raise_for_status()

    def script_errors(self, errors: list[dict[str, object]]) -> None:
        """Queue error answers for the platform's SIMs ({iccid, errorCode, count} each)."""
        self.sim.post(self.platform.admin_errors, json=errors).raise_for_status()

    def hosts_that_ran(self) -> int:
        """How many worker hosts carried out at least one execution (from their logs)."""
        logs = [self.directory / "worker.log", *self.directory.glob("worker-host-*.log")]
        return sum(1 for log in logs if log.exists() and "execution " in log.read_text(errors="replace"))

    def calls(self) -> list[dict[str, Any]]:
        answer = self.sim.get("/_admin/calls")
        answer.raise_for_status()
        return list(answer.json()["calls"])

    def sim_statuses(self) -> dict[str, str]:
        answer = self.sim.get(self.platform.admin_sims)
        answer.raise_for_status()
        return dict(self.platform.listed(sim) for sim in answer.json())

    # -- progress ----------------------------------------------------------------------------------

    def counts(self) -> tuple[int, int] | None:
        """(executions, of which finished), or None while the database does not answer."""
        try:
            with unit_of_work() as session:
                total = session.scalar(select(func.count()).select_from(TaskExecution)) or 0
                active = session.scalar(
                    select(func.count())
                    .select_from(TaskExecution)
                    .where(TaskExecution.status.in_(ACTIVE_STATUSES))
                )
                return total, total - (active or 0)
        except SQLAlchemyError:
            return None

    def finished(self) -> int:
        counts = self.counts()
        return counts[1] if counts else 0

    def wait_finished(self, count: int, timeout_s: float) -> None:
        """Wait until ``count`` executions have finished (to time a fault within a batch)."""
        wait_until(lambda: self.finished() >= count, timeout_s, f"{count} finished executions", 0.1)

    def drain(self, timeout_s: float) -> float:
        """Wait until every execution has finished (or the deadline passes); returns seconds waited."""
        started = time.monotonic()

        def drained() -> bool:
            counts = self.counts()
            return counts is not None and counts[0] > 0 and counts[0] == counts[1]

        with contextlib.suppress(TimeoutError):
            wait_until(drained, timeout_s, "every execution to finish", 0.2)
        self.drain_s = time.monotonic() - started
        return self.drain_s

    # -- the checker -------------------------------------------------------------------------------

    def figures(
        self,
        title: str,
        expected: Mapping[str, str] | None = None,
        expected_failures: frozenset[str] = frozenset(),
    ) -> Figures:
        """Score the run. ``expected`` overrides the wanted status of some SIMs (say, a refused
        change leaves a SIM as it was); ``expected_failures`` are SIMs whose last execution may fail."""
        figures = Figures(self.scenario, title, presses=len(self.presses))
        figures.wall_s = time.monotonic() - self.started
        with unit_of_work() as session:
            executions = session.scalars(select(TaskExecution).order_by(TaskExecution.id)).all()
            outcome_rows = session.execute(
                select(Signal.execution_id, Signal.client_id).where(Signal.execution_id.is_not(None))
            ).all()
            session.expunge_all()
        outcomes = Counter((row.execution_id, row.client_id) for row in outcome_rows)
        figures.duplicates = sum(count - 1 for count in outcomes.values() if count > 1)
        for key, count in outcomes.items():
            if count > 1:
                figures.problems.append(f"execution {key[0]}: {count} outcome signals on client {key[1]}")
        by_signal: dict[int, list[TaskExecution]] = {}
        for execution in executions:
            by_signal.setdefault(execution.signal_id, []).append(execution)
            if execution.status in ACTIVE_STATUSES or (execution.id, execution.client_id) not in outcomes:
                figures.lost += 1
                figures.problems.append(f"lost: {_describe(execution)}")
        for made in self.presses:
            if not any(by_signal.get(signal_id) for signal_id in made.signal_ids):
                figures.lost += 1
                figures.problems.append(f"lost: press {made} fired no execution")
        figures.superseded = sum(1 for e in executions if e.status == ExecutionStatus.SUPERSEDED)
        self._score_sims(figures, executions, expected or {}, expected_failures)
        calls = self.calls()
        figures.calls = len(calls)
        figures.puts = sum(1 for call in calls if self.platform.changes(call))
        if self.queue_sampler is not None:
            # Doorbells waiting in the broker at the worst moment: about one per pending execution
            # when all is well; many more when messages are published again while still queued.
            figures.extra["max_queued"] = self.queue_sampler.most
        figures.extra.update(self._log_figures())
        figures.extra["worker_exits"] = len(self.worker_crashes)
        figures.extra["drain_s"] = round(self.drain_s, 1)
        if self.refused_presses:
            figures.extra["refused_presses"] = self.refused_presses
        if figures.lost or figures.duplicates or figures.wrong:
            self.keep_logs = True
            figures.extra["logs"] = str(self.directory)
        return figures

    def _log_figures(self) -> dict[str, int]:
        """From the worker's log: Jasper messages delivered, executions the relay published again,
        and records logged at ERROR (tasks that crashed, time limits, killed pool children)."""
        log = self.directory / "worker.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        lines = text.splitlines()
        return {
            "deliveries": sum(1 for line in lines if _DELIVERED in line and "] received" in line),
            "republished": sum(int(m[1]) for line in lines if (m := _REPUBLISHED.search(line))),
            "worker_errors": sum(1 for line in lines if _ERROR.search(line)),
        }

    def _score_sims(
        self,
        figures: Figures,
        executions: Sequence[TaskExecution],
        expected: Mapping[str, str],
        expected_failures: frozenset[str],
    ) -> None:
        last_press = {made.iccid: made.wanted for made in self.presses}
        last_execution = {e.target["iccid"]: e for e in executions if e.target.get("iccid")}
        statuses = self.sim_statuses()
        for iccid, wanted in {**last_press, **expected}.items():
            actual = statuses.get(iccid, self.platform.initial)
            if actual != wanted:
                figures.wrong += 1
                execution = last_execution.get(iccid)
                shown = _describe(execution) if execution else "no execution"
                figures.problems.append(f"wrong: SIM {iccid} is {actual}, wanted {wanted}; {shown}")
            execution = last_execution.get(iccid)
            if iccid in expected_failures:
                continue
            if execution is None or execution.status != ExecutionStatus.SUCCEEDED:
                figures.failed += 1
                shown = _describe(execution) if execution else "no execution"
                figures.problems.append(f"failed: SIM {iccid}: {shown}")


_DELIVERED = "Task jasper.set_sim_status["
_REPUBLISHED = re.compile(r"relay published (\d+) due executions")
_ERROR = re.compile(r'"level": "ERROR"|: ERROR/')


def _kill_when_started(booting: Future[subprocess.Popen[bytes]]) -> None:
    with contextlib.suppress(Exception):  # it failed to start: start_simulator cleaned up
        stack.kill_group(booting.result(timeout=60))


def _describe(execution: TaskExecution) -> str:
    return (
        f"execution {execution.id} ({execution.options.get('command_type')} {execution.target.get('iccid')}) "
        f"status={execution.status.value} attempts={execution.attempts} lease_token={execution.lease_token} "
        f"lease_until={execution.lease_until} next_attempt_at={execution.next_attempt_at} "
        f"published_at={execution.published_at} error_code={execution.error_code} "
        f"last_error={execution.last_error!r}"
    )
