"""No API key reaches a log, the broker, a history entry or the operator log, even at DEBUG."""

from __future__ import annotations

import base64
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import kombu
import pytest
import redis
from sqlalchemy import select

from centre import clients
from centre.clients import ClientRef
from cli.processes import stop
from config import get_config
from models import CommunicatorType, OperatorLog, Signal
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, Stack, wait_for
from worker import celery as worker_celery

pytestmark = pytest.mark.integration

WRONG_KEY = "wrong-key-7d1e9a"


def _secrets() -> list[str]:
    found = [SIM_KEY, WRONG_KEY]
    for key in (SIM_KEY, WRONG_KEY):
        found.append(base64.b64encode(f"{SIM_USER}:{key}".encode()).decode())
    return found


def _broker_contents(stack: Stack) -> str:
    if stack.broker_url.startswith("redis"):
        client = redis.Redis.from_url(stack.broker_url)
        parts = []
        for key in client.keys("*"):
            kind = client.type(key).decode()
            if kind == "list":
                parts += [repr(v) for v in client.lrange(key, 0, -1)]
            elif kind == "hash":
                parts += [repr(v) for v in client.hgetall(key).values()]
            elif kind == "string":
                parts.append(repr(client.get(key)))
        return "\n".join(parts)
    if stack.broker_url.startswith("amqp"):
        return _amqp_contents(stack.broker_url)
    with sqlite3.connect(stack.broker_url.split("///", 1)[1]) as conn:
        return "\n".join(repr(row) for row in conn.execute("SELECT * FROM kombu_message"))


def _amqp_contents(url: str) -> str:
    """Every message waiting in the test's queues, read without being taken (never acknowledged: they go
    back to their queues when the channel closes)."""
    parts = []
    with kombu.Connection(url) as connection:
        channel = connection.channel()
        for name in (get_config().queue(queue) for queue in worker_celery.QUEUES):
            with contextlib.suppress(Exception):  # a queue nothing was sent to yet
                while (message := channel.basic_get(name, no_ack=False)) is not None:
                    parts.append(repr(message.body) + repr(message.headers))
        channel.close()
    return "\n".join(parts)


def test_no_key_in_logs_broker_history_or_operator_log(
    stack: Stack,
    make_client: Callable[..., str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    make_client("SEC1")
    make_client("SEC2", api_key=WRONG_KEY, comm_name="Wrong Key")
    log_path = tmp_path / "worker.log"
    proc = stack.start_worker({"COMMISSIONER_LOG_LEVEL": "DEBUG"}, log_path=str(log_path))
    try:
        for code in ("SEC1", "SEC2"):
            with unit_of_work() as session:
                clients.commission(session, clients.find(session, ClientRef(code)), OPERATOR)
        broker_while_queued = _broker_contents(stack)

        def both_done() -> bool:
            with unit_of_work() as session:
                return len(session.scalars(select(Signal).where(Signal.outcome.is_not(None))).all()) >= 3

        wait_for(both_done, "both outcomes (and the failure on the system account)")
    finally:
        stop(proc)

    with unit_of_work() as session:
        history = "\n".join(s.memo + s.description for s in session.scalars(select(Signal)))
        oplog = "\n".join(e.detail for e in session.scalars(select(OperatorLog)))
        stored = [c.api_key_encrypted for c in session.scalars(select(CommunicatorType))]
    places = {
        "worker log": log_path.read_text(errors="replace"),
        "this process's log": caplog.text,
        "broker": broker_while_queued + _broker_contents(stack),
        "history": history,
        "operator log": oplog,
        "stored keys": "\n".join(stored),
    }
    assert "DEBUG" in places["worker log"]  # the worker really logged at DEBUG
    assert "10000001" in history  # the failure was written, without its key
    for where, text in places.items():
        for secret in _secrets():
            assert secret not in text, f"a secret reached the {where}"
