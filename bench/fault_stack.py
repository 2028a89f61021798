"""Private processes for the fault-injection suite: PostgreSQL, Redis, the simulator, worker and beat.

Every scenario gets its own instances on free ports, so a fault (a killed Redis, a PostgreSQL stopped
with ``-m immediate``) touches nothing else on the machine. Processes are only ever signalled by the
PIDs started here.

The PostgreSQL cluster (bench/servers.py) is created and migrated once per harness process (a
template) and copied for each scenario.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import kombu
import redis

import migrations
from bench.servers import Postgres, Redis, private_directory, run
from models import db as models_db

DATABASE = "commissioner"


@functools.cache
def _template() -> Path:
    """A migrated cluster's data directory, made once per process and copied for each scenario."""
    directory = private_directory("faults-pg-template-")
    atexit.register(shutil.rmtree, directory, True)  # in case remove_template is not called
    cluster = Postgres(directory, durable=False)
    cluster.init()
    cluster.start()
    try:
        cluster.create_database(DATABASE)
        migrations.upgrade(cluster.url_for(DATABASE))
        models_db._engines.pop(cluster.url_for(DATABASE), None)
    finally:
        cluster.stop("fast")
    return directory / "data"


def remove_template() -> None:
    """Delete the template cluster, if this process made one (the next scenario makes it again)."""
    if _template.cache_info().currsize:
        shutil.rmtree(_template().parent, ignore_errors=True)
        _template.cache_clear()


def prepared_postgres() -> Postgres:
    """A migrated PostgreSQL cluster of its own (database ``DATABASE``), on a free port, not yet started."""
    directory = private_directory("faults-pg-")
    run(["cp", "-a", str(_template()), str(directory / "data")])
    return Postgres(directory, durable=False)


class QueueSampler:
    """Samples how many messages wait in the broker's queues, twice a second, on its own thread."""

    QUEUES = ("jasper", "commissioner")

    def __init__(self, broker: Redis) -> None:
        self._broker = broker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.most = 0

    def __enter__(self) -> QueueSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _sample(self) -> None:
        client = redis.Redis(port=self._broker.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            while not self._stop.wait(0.5):
                with contextlib.suppress(redis.RedisError):  # down on purpose, in some scenarios
                    queued = sum(int(client.llen(queue)) for queue in self.QUEUES)
                    self.most = max(self.most, queued)
        finally:
            client.close()


class Every:
    """Calls ``action`` every ``interval_s`` on its own thread until the context ends."""

    def __init__(self, interval_s: float, action: Callable[[], None]) -> None:
        self._interval_s = interval_s
        self._action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Every:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._action()


def start_beat(env: Mapping[str, str], data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """The one beat of the deployment: it sends the relay's sweep every relay interval."""
    args = [sys.executable, "-m", "celery", "-A", "worker", "beat", "--loglevel", "WARNING"]
    args += ["--schedule", str(data_dir / "celerybeat-schedule")]
    with open(log_path, "ab") as output:
        return subprocess.Popen(  # noqa: S603 - our own program
            args, env=dict(env), start_new_session=True, stdout=output, stderr=output
        )


def delete_amqp_queues(url: str, prefix: str) -> None:
    """Delete a run's own queues from the machine's RabbitMQ (it keeps queues until told)."""
    from worker.celery import QUEUES

    with kombu.Connection(url) as connection:  # type: ignore[no-untyped-call]
        channel = connection.channel()
        for name in QUEUES:
            with contextlib.suppress(Exception):
                channel.queue_delete(f"{prefix}{name}")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 a process started in its own session, then whatever of its group is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    # What a supervisor does when the main process dies (systemd's KillMode=control-group): pool
    # children still running a task are ended too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
