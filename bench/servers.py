"""What the benchmark and the fault suite both run on: private servers, and this process configured.

Both start their own PostgreSQL and Redis on free ports, so the machine's shared ones are neither used
nor disturbed. PostgreSQL refuses to run as root, so as root its programs run as ``postgres``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import kombu.pools
import redis

from cli.processes import free_port, wait_until
from config import get_settings
from models import db as models_db
from services import secrets
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
    settings, engines, keys and Celery app); restore the previous configuration afterwards."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("COMMISSIONER_")}
    saved_app = worker_celery.app
    _set_commissioner_env({k: v for k, v in env.items() if k.startswith("COMMISSIONER_")})
    worker_celery.app = worker_celery.make_app()
    try:
        yield
    finally:
        worker_celery.app = saved_app
        kombu.pools.reset()  # type: ignore[no-untyped-call]
        _set_commissioner_env(saved)


def _set_commissioner_env(values: Mapping[str, str]) -> None:
    for name in [k for k in os.environ if k.startswith("COMMISSIONER_")]:
        del os.environ[name]
    os.environ.update(values)
    get_settings.cache_clear()
    secrets.reset_cache()
    for engine in models_db._engines.values():
        engine.dispose()
    models_db._engines.clear()
