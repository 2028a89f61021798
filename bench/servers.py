"""The one helper for private servers, used by the benchmark, the fault suite and their tests: a
PostgreSQL cluster and a redis-server of their own on free ports (so the machine's shared ones are
neither used nor disturbed), and this process configured as a Commissioner process.

PostgreSQL refuses to run as root, so as root its programs run as the ``postgres`` OS user.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import kombu.pools
import psycopg
import redis

from cli.processes import free_port, wait_until
from config import get_config, secrets
from models import db as models_db
from pipeline import outbox
from worker import celery as worker_celery

PG_OS_USER = "postgres"


def pg_bin() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian layout), else the one on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb was not found: install the postgresql server package")
    return Path(initdb).parent


def as_pg_user(args: list[str]) -> list[str]:
    """``args`` run as the postgres OS user when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", PG_OS_USER, "--", *args] if os.geteuid() == 0 else args


def run(args: list[str]) -> None:
    """Run one of our server programs; its stderr in the error if it fails."""
    result = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - our programs
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")


def private_directory(prefix: str) -> Path:
    """A new directory under /tmp that the postgres user can reach (pytest's tmp_path is root-only)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(directory, PG_OS_USER, PG_OS_USER)
    return directory


class Postgres:
    """A private PostgreSQL cluster: data in ``directory/data``, listening on 127.0.0.1:``port``.

    ``durable=False`` turns fsync off: a killed server keeps what it wrote in the OS cache (only a
    machine crash would not), which is what the fault suite needs and makes it faster. ``options`` are
    more server settings (``-c name=value ...``).
    """

    def __init__(
        self, directory: Path, port: int | None = None, *, durable: bool = True, options: str = ""
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.durable = durable
        self.options = options
        self.version = ""

    def url_for(self, database: str, role: str = "postgres") -> str:
        return f"postgresql+psycopg://{role}@127.0.0.1:{self.port}/{database}"

    @property
    def server_dsn(self) -> str:
        """The maintenance database, for psycopg directly (as postgres)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        """Create the cluster (trust authentication, superuser postgres)."""
        if os.geteuid() == 0:
            shutil.chown(self.directory, PG_OS_USER, PG_OS_USER)
        args = ["--auth=trust", "--no-instructions", "--encoding=UTF8", "-U", "postgres"]
        args += [] if self.durable else ["--no-sync"]
        run(as_pg_user([str(pg_bin() / "initdb"), "-D", str(self.data), *args]))

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 {self.options}"
        options += "" if self.durable else " -c fsync=off"
        pg_ctl = str(pg_bin() / "pg_ctl")
        run(as_pg_user([pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start"]))

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.server_dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
            self.version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``immediate`` is a crash (no checkpoint, recovery at the next start)."""
        run(as_pg_user([str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]))

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def close(self, *, remove: bool = True) -> None:
        """Stop the server if it runs (dropping this process's engines on it), and delete the cluster."""
        for url, engine in list(models_db._engines.items()):
            if f":{self.port}/" in url:
                engine.dispose()
                models_db._engines.pop(url, None)
        if self.running():
            with contextlib.suppress(RuntimeError):
                self.stop("immediate" if remove else "fast")
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)


class Redis:
    """A private redis-server without persistence: a restart loses every queued message."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.version = ""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.directory)]
        args += ["--logfile", str(self.directory / "redis.log")]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_until(answers, 20, "redis-server to answer")
            self.version = str(client.info("server")["redis_version"])
        finally:
            client.close()

    def kill(self) -> None:
        """kill -9: everything in memory (queued and unacknowledged messages) is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        self.kill()


@contextlib.contextmanager
def commissioner_process(env: Mapping[str, str]) -> Iterator[None]:
    """Make this process a Commissioner process configured by ``env``'s COMMISSIONER_* values (its
    configuration, engines, keys, Celery app and log level); restore the previous ones afterwards."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("COMMISSIONER_")}
    saved_app, saved_level = worker_celery.app, logging.getLogger().level
    _set_commissioner_env({k: v for k, v in env.items() if k.startswith("COMMISSIONER_")})
    worker_celery.app = worker_celery.make_app()
    try:
        yield
    finally:
        worker_celery.app = saved_app
        outbox.install(saved_app)
        saved_app.set_current()
        logging.getLogger().setLevel(saved_level)
        kombu.pools.reset()  # type: ignore[no-untyped-call]
        _set_commissioner_env(saved)


def _set_commissioner_env(values: Mapping[str, str]) -> None:
    for name in [k for k in os.environ if k.startswith("COMMISSIONER_")]:
        del os.environ[name]
    os.environ.update(values)
    get_config.cache_clear()
    secrets.reset_cache()
    for engine in models_db._engines.values():
        engine.dispose()
    models_db._engines.clear()
