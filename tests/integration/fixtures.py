"""A running stack for integration tests: the database of the ``database`` fixture, a real broker
(kombu's SQLAlchemy transport with SQLite, Redis with PostgreSQL), a real simulator and a real worker."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import kombu
import kombu.pools
import pytest
import redis

from centre import clients, communicator_types, seed
from centre.validation import with_luhn_digit
from cli.processes import free_port, start_simulator, start_worker, stop, wait_until
from config import get_config
from models import utcnow
from models.db import unit_of_work
from pipeline import outbox
from tests.conftest import AMQP_URL, REDIS_URL, _use
from worker import celery as worker_celery

SIM_USER = "centre"
SIM_KEY = "sim-key-1f6c0e"
OPERATOR = "test"


@dataclass
class Stack:
    env: dict[str, str]
    sim_port: int
    broker_url: str

    @property
    def server_address(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}/rws/api/v1"

    def sim_status(self, iccid: str) -> str:
        answer = httpx.get(f"{self.server_address}/devices/{iccid}", auth=(SIM_USER, SIM_KEY), timeout=5)
        return str(answer.json()["status"])

    def sim_calls(self) -> list[dict[str, object]]:
        answer = httpx.get(
            f"http://127.0.0.1:{self.sim_port}/_admin/calls", auth=(SIM_USER, SIM_KEY), timeout=5
        )
        data = answer.json()
        return list(data["calls"] if isinstance(data, dict) else data)

    def drop_queued_messages(self) -> int:
        """Lose every message waiting in the broker, as a broker restart without persistence does."""
        if self.broker_url.startswith("redis"):
            client = redis.Redis.from_url(self.broker_url)
            queued = sum(int(client.llen(queue)) for queue in ("jasper", "commissioner"))
            client.flushdb()
            return queued
        if self.broker_url.startswith("amqp"):
            return _purge_queues()
        path = self.broker_url.split("///", 1)[1]
        with sqlite3.connect(path) as conn:
            return conn.execute("DELETE FROM kombu_message").rowcount

    def start_worker(
        self, overrides: dict[str, str] | None = None, log_path: str | None = None
    ) -> subprocess.Popen[bytes]:
        return start_worker({**os.environ, **self.env, **(overrides or {})}, log_path=log_path)


@pytest.fixture
def broker(
    request: pytest.FixtureRequest,
    database: str,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[str]:
    """The broker of the test: kombu's SQLAlchemy transport with SQLite; Redis, or RabbitMQ where the
    test is parametrized so (tests/conftest.py), with PostgreSQL."""
    kind = getattr(request, "param", None) or ("sqla" if database.startswith("sqlite") else "redis")
    if kind == "sqla":
        url = f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    elif kind == "redis":
        url = REDIS_URL
        redis.Redis.from_url(url).flushdb()
    else:
        url = AMQP_URL
        # Queues of the test's own: RabbitMQ keeps queues between tests, and a worker of an earlier test
        # must not take this one's messages.
        _use(env, monkeypatch, "COMMISSIONER_QUEUE_PREFIX", f"test-{uuid.uuid4().hex[:12]}-")
    _use(env, monkeypatch, "COMMISSIONER_BROKER_URL", url)
    # This process publishes too: give it an app on this test's broker (its outbox too, restored after).
    monkeypatch.setattr(outbox, "_broker", outbox._broker)  # restored after the test
    monkeypatch.setattr(worker_celery, "app", worker_celery.make_app())  # installs it in the outbox
    yield url
    if kind == "amqp":
        _delete_queues()
    kombu.pools.reset()  # kombu keeps producer pools per broker URL, process-wide


def _amqp_queues() -> list[str]:
    config = get_config()
    return [config.queue(name) for name in worker_celery.QUEUES]


def _purge_queues() -> int:
    with kombu.Connection(AMQP_URL) as connection:
        channel = connection.default_channel
        purged = 0
        for name in _amqp_queues():
            kombu.Queue(name, worker_celery.EXCHANGE, routing_key=name)(channel).declare()
            purged += int(channel.queue_purge(name) or 0)
        return purged


def _delete_queues() -> None:
    with kombu.Connection(AMQP_URL) as connection:
        channel = connection.default_channel
        for name in _amqp_queues():
            channel.queue_delete(name)


@pytest.fixture
def stack(broker: str, env: dict[str, str]) -> Iterator[Stack]:
    port = free_port()
    simulator = start_simulator(port, SIM_USER, SIM_KEY, env={**os.environ, **env})
    try:
        yield Stack(env=env, sim_port=port, broker_url=broker)
    finally:
        stop(simulator)


@pytest.fixture
def worker(stack: Stack) -> Iterator[subprocess.Popen[bytes]]:
    proc = stack.start_worker()
    yield proc
    stop(proc)


@pytest.fixture
def make_client(stack: Stack) -> Callable[..., str]:
    """Seeded Jasper setup plus a client with one SIM; returns the SIM's ICCID."""
    counter = iter(range(1, 10_000))

    def make(code: str, api_key: str = SIM_KEY, comm_name: str = "Carrier") -> str:
        iccid = with_luhn_digit(f"8988{os.getpid() % 10_000:04d}{next(counter):010d}")
        with unit_of_work() as session:
            seed.seed(session, OPERATOR)
            try:
                communicator_types.get_by_name(session, comm_name)
            except Exception:
                communicator_types.add(session, comm_name, stack.server_address, SIM_USER, api_key, OPERATOR)
            client = clients.add(session, code, f"Client {code}", OPERATOR)
            clients.add_device(session, client, comm_name, iccid, OPERATOR)
        return iccid

    return make


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    wait_until(check, timeout_s, what, interval_s=0.1)


def commissioned(stack: Stack, make_client: Callable[..., str], code: str, comm_name: str = "Carrier") -> str:
    """A client whose SIM is on at the carrier, as after its commission; returns the ICCID."""
    iccid = make_client(code, comm_name=comm_name)
    with unit_of_work() as session:
        clients.find(session, clients.ClientRef(code)).commissioned_at = utcnow()
    put = httpx.put(
        f"{stack.server_address}/devices/{iccid}", json={"status": "ACTIVATED"}, auth=(SIM_USER, SIM_KEY)
    )
    put.raise_for_status()
    return iccid
