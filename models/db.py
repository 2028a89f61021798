"""Engines and the one session helper.

One engine per process and database URL, created lazily and discarded in a forked child (a pooled
connection must never be shared across a fork). One session and one transaction per unit of work:
``unit_of_work()`` commits or rolls back, then runs what was registered with ``after_commit``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from config import get_config
from config.files import private_file

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_AFTER_COMMIT = "commissioner.after_commit"
_READ_ONLY = "commissioner_read_only"


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot take the write lock up front; two
    # writers then deadlock on lock upgrade and get "database is locked" despite busy_timeout. We issue
    # BEGIN IMMEDIATE ourselves, so every transaction waits its turn for the one writer slot.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A reading() transaction never writes: a deferred BEGIN, which in WAL mode never waits for
        # the writer, so a read made while this thread's own unit of work holds the slot goes through.
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """A new engine for ``url`` with the settings every Commissioner process uses."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # SQLite gives its -wal and -shm files the database file's permissions.
            private_file(Path(os.path.abspath(path)))
        engine = create_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # 30 connections a process by default. A worker's task holds one only for its short transactions,
    # never across a carrier call, so 30 serve its 64 threads; PostgreSQL's 100 serve several workers
    # and the web app. More hosts: fewer a process (COMMISSIONER_DB_POOL_SIZE, _DB_MAX_OVERFLOW).
    config = get_config()
    return create_engine(
        url, pool_pre_ping=True, pool_size=config.db_pool_size, max_overflow=config.db_max_overflow
    )


def get_engine(url: str | None = None) -> Engine:
    """This process's engine for ``url`` (default: the configured database)."""
    url = url or get_config().effective_database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def _forget_engines_in_child() -> None:
    for engine in _engines.values():
        engine.dispose(close=False)  # close=False: the parent still owns those sockets
    _engines.clear()


os.register_at_fork(after_in_child=_forget_engines_in_child)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the unit of work's transaction has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One session, one transaction: commit on success, roll back on error, then run after-commit work.

    After-commit callbacks (publishing Celery messages) must not fail the unit of work: what they
    fail to do, the relay does later.
    """
    # A Session, not a sessionmaker: each sessionmaker() makes a new Session class, whose event
    # dispatch SQLAlchemy then sets up on first use, a cost every unit of work paid for nothing.
    with Session(bind=engine or get_engine(), expire_on_commit=False) as session:
        with session.begin():
            yield session
        callbacks: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed; the relay will retry its work")


@contextmanager
def reading(engine: Engine | None = None) -> Iterator[Session]:
    """A transaction that only reads, rolled back at the end. On SQLite it does not take the one
    writer slot, so it may run while a unit of work of the same thread is open (a page rendered inside
    one reads the centre's settings); elsewhere it is an ordinary transaction."""
    bound = (engine or get_engine()).execution_options(**{_READ_ONLY: True})
    with Session(bind=bound, expire_on_commit=False) as session, session.begin():
        yield session
        session.rollback()
