"""One configuration of Commissioner, running for the benchmark on private instances.

``production``: a private PostgreSQL cluster (initdb into a temporary directory, production defaults:
fsync on) and a private redis-server, so the machine's shared services are neither used nor disturbed.
``embedded``: the default with nothing configured, SQLite and kombu's SQLAlchemy transport on SQLite.

Both get the Control Center simulator, the one beat (the relay's schedule) and a worker started like
``celery -A worker worker`` with ``--include bench.floor`` (the floor's no-op task) and the pool under
test. This process becomes a Commissioner process of the deployment (its ``COMMISSIONER_*``
variables), so a press runs through the real services in a real unit of work and publishes its
doorbell after commit exactly as the CLI or the web app does. Processes are stopped by the PIDs
started here, never by name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

import migrations
from bench import floor
from bench.servers import Postgres, Redis, commissioner_process
from centre import communicator_types, seed
from cli.processes import free_port, start_simulator, start_worker, stop
from config import Config
from models import db as models_db
from models.db import unit_of_work

CONFIGURATIONS = ("production", "embedded")
OPERATOR = "bench"
SIM_USER = "bench"
SIM_KEY = "bench-sim-key-4e1a"
DATABASE = "commissioner"


@dataclass(frozen=True)
class Pool:
    """A worker pool under test: ``prefork`` or ``threads`` with ``concurrency`` slots."""

    kind: str
    concurrency: int

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.concurrency}"

    @classmethod
    def parse(cls, text: str) -> Pool:
        """``prefork:2``, ``threads:32``; a bare kind means as many slots as CPU cores."""
        kind, _, count = text.partition(":")
        if kind not in ("prefork", "threads", "solo"):
            raise ValueError(f"pool must be prefork, threads or solo, not {kind!r}")
        return cls(kind, int(count) if count else (os.cpu_count() or 1))


def default_pool() -> Pool:
    """What ``celery -A worker worker`` runs when nothing is said (Config.worker_pool and _concurrency)."""
    settings = Config()
    return Pool(settings.worker_pool, settings.worker_concurrency)


# -- PostgreSQL and Redis of our own -----------------------------------------------------------------


class PrivatePostgres(Postgres):
    """The benchmark's cluster: the server's default (durable) settings, plus pg_stat_statements to
    count the statements of each run.

    The worker (and beat) log in as ``worker``, this process as ``postgres``, and the progress reader
    as ``observer``, so that the statements of presses and of executions are counted apart.
    """

    ROLES = ("worker", "observer")

    def __init__(self, directory: Path) -> None:
        options = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
        super().__init__(directory, options=options)

    def url_for(self, database: str = DATABASE, role: str = "postgres") -> str:
        return super().url_for(database, role)

    @property
    def url(self) -> str:
        return self.url_for()

    def start(self) -> None:
        self.init()
        super().start()
        self.create_database(DATABASE)
        with psycopg.connect(self.server_dsn, autocommit=True) as conn:
            for role in self.ROLES:
                conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")

    @property
    def admin_dsn(self) -> str:
        """The benchmark's database, for psycopg directly (as the observer)."""
        return f"postgresql://observer@127.0.0.1:{self.port}/{DATABASE}"

    def reset_statements(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")

    def statements(self) -> dict[str, list[tuple[int, str]]]:
        """Per role, (calls, query) of every statement since the last reset, most called first."""
        query = (
            "SELECT r.rolname, s.calls, s.query FROM pg_stat_statements s "
            "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname <> 'observer' ORDER BY s.calls DESC"
        )
        found: dict[str, list[tuple[int, str]]] = {}
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for role, calls, text in conn.execute(query):
                found.setdefault(str(role), []).append((int(calls), " ".join(str(text).split())))
        return found

    def close(self, *, remove: bool = False) -> None:
        super().close(remove=remove)  # the deployment's directory is removed with the rest


class PrivateRedis(Redis):
    """A redis-server of its own, without persistence (the broker only carries doorbells)."""

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc, timeout_s=10)
            self.proc = None


# -- the deployment ----------------------------------------------------------------------------------


@dataclass
class Deployment:
    """A running configuration: database, broker, simulator, beat, and one worker at a time."""

    name: str
    overrides: Mapping[str, str] = field(default_factory=dict)
    metrics_port: int = 0
    directory: Path = field(init=False)
    env: dict[str, str] = field(init=False, default_factory=dict)
    versions: dict[str, str] = field(init=False, default_factory=dict)
    sim_port: int = field(init=False, default=0)
    worker: subprocess.Popen[bytes] | None = field(init=False, default=None)
    pool: Pool | None = field(init=False, default=None)
    postgres: PrivatePostgres | None = field(init=False, default=None)
    redis: PrivateRedis | None = field(init=False, default=None)
    simulator: subprocess.Popen[bytes] | None = field(init=False, default=None)
    _exits: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

    def __enter__(self) -> Deployment:
        if self.name not in CONFIGURATIONS:
            raise ValueError(f"configuration must be one of {', '.join(CONFIGURATIONS)}, not {self.name!r}")
        self.directory = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        # The postgres OS user must reach its cluster inside; nothing secret lives here.
        os.chmod(self.directory, 0o755)  # noqa: S103
        try:
            self._start()
        except BaseException:
            self._exits.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._exits.close()

    def _start(self) -> None:
        exits = self._exits
        exits.callback(shutil.rmtree, self.directory, True)
        database_url, broker_url = self._storage()
        worker_url = self.postgres.url_for(role="worker") if self.postgres else database_url
        self.env = self._environment(worker_url, broker_url)
        migrations.upgrade(database_url)
        models_db._engines.pop(database_url, None)
        self.sim_port = free_port()
        self.simulator = start_simulator(self.sim_port, SIM_USER, SIM_KEY, env=self.env)
        exits.callback(stop, self.simulator)
        self.sim = httpx.Client(
            base_url=f"http://127.0.0.1:{self.sim_port}", auth=(SIM_USER, SIM_KEY), timeout=60
        )
        exits.callback(self.sim.close)
        # This process only presses and publishes: its own log lines would mix into the report.
        quiet = {"COMMISSIONER_LOG_LEVEL": "WARNING", "COMMISSIONER_LOG_FORMAT": "text"}
        exits.enter_context(
            commissioner_process({**self.env, "COMMISSIONER_DATABASE_URL": database_url, **quiet})
        )
        with unit_of_work() as session:
            seed.seed(session, OPERATOR)
        beat = _start_beat(self.env, self.directory)
        exits.callback(stop, beat)
        exits.callback(self.stop_worker)

    def _storage(self) -> tuple[str, str]:
        if self.name == "embedded":
            return (
                f"sqlite:///{self.directory / 'commissioner.db'}",
                f"sqla+sqlite:///{self.directory / 'broker.db'}",
            )
        pg_dir = self.directory / "postgres"
        pg_dir.mkdir()
        self.postgres = PrivatePostgres(pg_dir)
        self._exits.callback(self.postgres.close)
        self.postgres.start()
        self.redis = PrivateRedis(self.directory)
        self._exits.callback(self.redis.close)
        self.redis.start()
        self.versions = {"postgresql": self.postgres.version, "redis": self.redis.version}
        return self.postgres.url, self.redis.url

    def _environment(self, database_url: str, broker_url: str) -> dict[str, str]:
        values = {
            "COMMISSIONER_DATA_DIR": str(self.directory),
            "COMMISSIONER_DATABASE_URL": database_url,
            "COMMISSIONER_BROKER_URL": broker_url,
            "COMMISSIONER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "COMMISSIONER_WEB_SECRET": Fernet.generate_key().decode(),
            "COMMISSIONER_ALLOW_INSECURE_CARRIERS": "true",  # the simulator runs on this machine
            "COMMISSIONER_LOG_LEVEL": "INFO",
            "COMMISSIONER_LOG_FORMAT": "json",
            "COMMISSIONER_METRICS_PORT": str(self.metrics_port),
        }
        values |= {f"COMMISSIONER_{name.upper()}": value for name, value in self.overrides.items()}
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("COMMISSIONER_", "PROMETHEUS_"))}
        return {**kept, **values}

    # -- carrier accounts and the simulator ------------------------------------------------------------

    @property
    def server_address(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}/rws/api/v1"

    def add_account(self, name: str, calls_per_second: float) -> None:
        """A communicator type on the simulator's account, paced at ``calls_per_second``."""
        with unit_of_work() as session:
            communicator_types.add(
                session,
                name,
                self.server_address,
                SIM_USER,
                SIM_KEY,
                OPERATOR,
                calls_per_second=calls_per_second,
            )

    def faults(self, **changes: object) -> None:
        self.sim.put("/_admin/faults", json=changes).raise_for_status()

    def calls_since(self, index: int) -> tuple[list[dict[str, Any]], int]:
        """The simulator's call log from ``index``, and the index to ask for next time."""
        answer = self.sim.get("/_admin/calls", params={"since": index})
        answer.raise_for_status()
        data = answer.json()
        return list(data["calls"]), int(data["next"])

    # -- the worker ------------------------------------------------------------------------------------

    def start_worker(self, pool: Pool) -> None:
        """(Re)start the worker with ``pool`` (the scenarios warm it up before they measure)."""
        self.stop_worker()
        # The setting too: celery takes an explicit --pool prefork for its default, and the app's.
        env = {**self.env, floor.LOG_ENV: str(self.floor_log), "COMMISSIONER_WORKER_POOL": pool.kind}
        # INFO as in production (Procfile, docker-compose.yml): the pool processes log each outcome.
        extra = ["--pool", pool.kind, "--include", floor.__name__, "-n", f"bench-{pool.label}@%h"]
        extra += ["--loglevel", "INFO"]
        log_path = str(self.directory / f"worker-{pool.label}.log")
        self.worker = start_worker(
            env, concurrency=pool.concurrency, beat=False, extra=extra, log_path=log_path
        )
        self.pool = pool

    def stop_worker(self) -> None:
        if self.worker is not None:
            stop(self.worker, timeout_s=30)
            self.worker = None
            self.pool = None

    @property
    def floor_log(self) -> Path:
        return self.directory / "floor.log"

    def worker_log(self) -> Path:
        assert self.pool is not None
        return self.directory / f"worker-{self.pool.label}.log"

    # -- reading results -------------------------------------------------------------------------------

    def reader(self) -> Engine:
        """An engine for reading progress that never takes SQLite's write lock (no BEGIN IMMEDIATE)."""
        if self.postgres is not None:
            return create_engine(self.postgres.url_for(role="observer"), pool_size=1)
        url = self.env["COMMISSIONER_DATABASE_URL"]
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    def server_pids(self) -> dict[str, int]:
        """The processes whose CPU the benchmark reports besides the worker's."""
        pids = {"harness": os.getpid()}
        if self.simulator is not None:
            pids["simulator"] = self.simulator.pid
        if self.postgres is not None and (pid := self.postgres.pid()):
            pids["postgresql"] = pid
        if self.redis is not None and self.redis.proc is not None:
            pids["redis"] = self.redis.proc.pid
        return pids


def _start_beat(env: Mapping[str, str], directory: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "celery", "-A", "worker", "beat", "--loglevel", "WARNING"]
    args += ["--schedule", str(directory / "celerybeat-schedule")]
    with open(directory / "beat.log", "ab") as output:
        return subprocess.Popen(  # noqa: S603 - our own program
            args, env=dict(env), start_new_session=True, stdout=output, stderr=output
        )
