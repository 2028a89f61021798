"""The embedded broker's table is pruned: kombu's SQLAlchemy transport only marks a delivered message
invisible, so before, its table grew for ever."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from config import get_config
from pipeline import outbox
from worker import celery as worker_celery
from worker.relay import prune_broker


def _rows(path: Path) -> list[tuple[int, bool]]:
    with sqlite3.connect(path) as conn:
        return [(row[0], bool(row[1])) for row in conn.execute("SELECT id, visible FROM kombu_message")]


def test_delivered_messages_are_deleted_and_waiting_ones_kept(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "broker.db"
    monkeypatch.setenv("COMMISSIONER_BROKER_URL", f"sqla+sqlite:///{path}")
    get_config.cache_clear()
    monkeypatch.setattr(outbox, "_broker", outbox._broker)  # make_app installs its app: restored after
    app = worker_celery.make_app()
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue("prune-test")
        queue.put({"n": 1})
        queue.put({"n": 2})
        queue.get(timeout=5).ack()
        queue.close()
    assert sorted(visible for _id, visible in _rows(path)) == [False, True]
    assert prune_broker() == 1
    assert [visible for _id, visible in _rows(path)] == [True]
    assert prune_broker() == 0


def test_nothing_is_pruned_on_another_broker(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMISSIONER_BROKER_URL", "redis://127.0.0.1:6379/15")
    get_config.cache_clear()
    assert prune_broker() == 0
